import { createRng, formatTabularCsv, initTabularMlp, type TabularModelSpec } from "@flock/engine";
import type { Arrays, Message } from "@flock/fl";
import { afterAll, describe, expect, it } from "vitest";
import { flShards, shardModelSpec } from "./flShards.ts";
import { localTrainingOf, type TabularFlApp, tabularFlApp } from "./tabularFlApp.ts";

const shards = flShards({ dataset: "digits", parts: 3, seed: 7 });
const spec = shardModelSpec(shards, [16]);
const initial: Arrays = initTabularMlp(spec.config, createRng(1));
const hospital = shards.parts[0]!;
const apps: TabularFlApp[] = [];

function digitsApp(seed = 0): TabularFlApp {
  const app = tabularFlApp({
    trainCsv: formatTabularCsv(hospital.train),
    testCsv: formatTabularCsv(hospital.test),
    spec,
    seed,
  });
  apps.push(app);
  return app;
}

const message = (
  kind: Message["kind"],
  arrays: Arrays,
  config: Message["config"] = {},
  round = 1,
): Message => ({
  nodeId: "0xabc",
  kind,
  round,
  arrays,
  config,
});

afterAll(async () => {
  for (const app of apps) await app.release();
});

describe("the tabular FL app on a hospital's digits shard", () => {
  it("learns: its test loss drops and accuracy rises with more local epochs from the same global model", async () => {
    const app = digitsApp();
    const before = await app.evaluate(message("evaluate", initial));
    const config = { learningRate: 0.1, batchSize: 32 };
    const oneEpoch = await app.train(message("train", initial, { ...config, localEpochs: 1 }));
    const fiveEpochs = await app.train(message("train", initial, { ...config, localEpochs: 5 }));
    const after1 = await app.evaluate(message("evaluate", oneEpoch.arrays));
    const after5 = await app.evaluate(message("evaluate", fiveEpochs.arrays));
    expect(before.numExamples).toBe(hospital.test.rows);
    expect(after1.metrics.loss).toBeLessThan(before.metrics.loss!);
    expect(after5.metrics.loss).toBeLessThan(after1.metrics.loss!);
    expect(after5.metrics.accuracy).toBeGreaterThan(before.metrics.accuracy! + 0.3);
    expect(after5.metrics.accuracy).toBeGreaterThan(0.75);
    // Within the five epochs, the training loss fell too.
    expect(fiveEpochs.metrics["train-loss"]).toBeLessThan(fiveEpochs.metrics["train-loss-first-epoch"]!);
    expect(fiveEpochs.numExamples).toBe(hospital.train.rows);
  });

  it("sends back every array it was sent, in the same order and shapes, without touching the global model", async () => {
    const app = digitsApp();
    const snapshot = [...initial.values()].map((p) => Float32Array.from(p.data));
    const update = await app.train(message("train", initial, { localEpochs: 1 }));
    expect([...update.arrays.keys()]).toEqual([...initial.keys()]);
    expect([...update.arrays.values()].map((p) => p.shape)).toEqual(
      [...initial.values()].map((p) => p.shape),
    );
    expect([...initial.values()].map((p) => p.data)).toEqual(snapshot);
  });

  it("is seeded: the same seed and round give the same update, another round another minibatch order", async () => {
    const a = await digitsApp(5).train(message("train", initial, { localEpochs: 1 }, 3));
    const b = await digitsApp(5).train(message("train", initial, { localEpochs: 1 }, 3));
    const c = await digitsApp(5).train(message("train", initial, { localEpochs: 1 }, 4));
    const flat = (x: Arrays) => [...x.values()].flatMap((p) => [...p.data]);
    expect(flat(a.arrays)).toEqual(flat(b.arrays));
    expect(flat(c.arrays)).not.toEqual(flat(a.arrays));
  });

  it("FedProx's μ from the message keeps the update closer to the global model", async () => {
    const distance = (x: Arrays) => {
      let sum = 0;
      for (const [name, p] of x) {
        const g = initial.get(name)!.data;
        for (let i = 0; i < p.data.length; i++) sum += (p.data[i]! - g[i]!) ** 2;
      }
      return Math.sqrt(sum);
    };
    const config = { localEpochs: 3, learningRate: 0.1 };
    const plain = await digitsApp().train(message("train", initial, config));
    const proximal = await digitsApp().train(message("train", initial, { ...config, "proximal-mu": 1 }));
    expect(distance(proximal.arrays)).toBeLessThan(distance(plain.arrays));
  });

  it("refuses a received model that does not fit its spec", async () => {
    const other = initTabularMlp({ ...spec.config, hidden: [8] }, createRng(1));
    await expect(digitsApp().evaluate(message("evaluate", other))).rejects.toMatchObject({
      code: "FL_ARRAYS_MISMATCH",
    });
  });
});

describe("the tabular FL app as a regressor", () => {
  it("reports MSE as its loss and RMSE, and both fall with training", async () => {
    // y = 2·a − b + 0.5 on [−1, 1]², a little noise.
    const rng = createRng(3);
    const rows = (n: number) => {
      const lines = ["a,b,y"];
      for (let i = 0; i < n; i++) {
        const a = rng.next() * 2 - 1;
        const b = rng.next() * 2 - 1;
        lines.push(`${a},${b},${2 * a - b + 0.5 + (rng.next() - 0.5) * 0.05}`);
      }
      return lines.join("\n");
    };
    const regressor: TabularModelSpec = {
      config: { kind: "regressor", numFeatures: 2, hidden: [8] },
      features: ["a", "b"],
      label: "y",
    };
    const app = tabularFlApp({ trainCsv: rows(200), testCsv: rows(50), spec: regressor });
    apps.push(app);
    const start = initTabularMlp(regressor.config, createRng(2));
    const before = await app.evaluate(message("evaluate", start));
    const update = await app.train(
      message("train", start, { localEpochs: 20, learningRate: 0.05, batchSize: 16 }),
    );
    const after = await app.evaluate(message("evaluate", update.arrays));
    expect(before.metrics.loss).toBeCloseTo(before.metrics.rmse! ** 2, 6);
    expect(after.metrics.rmse).toBeLessThan(before.metrics.rmse! / 3);
  });
});

describe("inputs", () => {
  it("a test CSV without the task's columns is refused, naming the file and the columns", () => {
    expect(() =>
      tabularFlApp({ trainCsv: formatTabularCsv(hospital.train), testCsv: "pixel_0_0,digit\n0,1\n", spec }),
    ).toThrow(
      expect.objectContaining({
        code: "CSV_COLUMNS_MISSING",
        message: expect.stringMatching(/^the test CSV: /),
      }),
    );
  });

  it("reads the task's trainConfig and Flower-style keys, and refuses bad values", () => {
    expect(localTrainingOf({ learningRate: 0.05, localEpochs: 3, batchSize: 8, proximalMu: 0.1 })).toEqual({
      learningRate: 0.05,
      localEpochs: 3,
      batchSize: 8,
      proximalMu: 0.1,
    });
    expect(localTrainingOf({ lr: 0.2, "local-epochs": 2, "batch-size": 4, "proximal-mu": 0.5 })).toEqual({
      learningRate: 0.2,
      localEpochs: 2,
      batchSize: 4,
      proximalMu: 0.5,
    });
    expect(() => localTrainingOf({ batchSize: 0 })).toThrow(
      expect.objectContaining({ code: "FL_TRAIN_CONFIG_INVALID" }),
    );
    expect(() => localTrainingOf({ learningRate: 0 })).toThrow(
      expect.objectContaining({ code: "FL_TRAIN_CONFIG_INVALID" }),
    );
    expect(() => localTrainingOf({ localEpochs: 1.5 })).toThrow(
      expect.objectContaining({ code: "FL_TRAIN_CONFIG_INVALID" }),
    );
  });
});
