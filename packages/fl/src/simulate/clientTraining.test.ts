import { afterAll, describe, expect, it } from "vitest";
import type { TrainJob } from "./clientTraining.ts";
import { loadDigits } from "./datasets.ts";
import { flattenModel, initialArrays, modelConfig } from "./model.ts";
import { InlineTrainer, WorkerPool } from "./workerPool.ts";

const data = loadDigits();
const config = modelConfig(data, [16]);
const global = flattenModel(config, initialArrays(config, 5));
const job = (over: Partial<TrainJob> = {}): TrainJob => ({
  dataset: "digits",
  hidden: [16],
  training: { epochs: 2, batchSize: 8, lr: 0.1 },
  global,
  rows: Int32Array.from({ length: 21 }, (_, i) => i * 7),
  seed: 99,
  flipLabels: false,
  ...over,
});
const distance = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((v, i) => v - b[i]!));

const inline = new InlineTrainer();
const pool = new WorkerPool(2);
afterAll(async () => {
  await inline.close();
  await pool.close();
});

describe("client training", () => {
  it("gives bit-identical models inline and on worker threads, whichever thread runs the job", async () => {
    const a = await inline.train(job());
    const [b, c] = await Promise.all([pool.train(job()), pool.train(job())]);
    expect(a.numExamples).toBe(21);
    expect(a.steps).toBe(2 * 3);
    expect(Array.from(b.params)).toEqual(Array.from(a.params));
    expect(Array.from(c.params)).toEqual(Array.from(a.params));
    expect(distance(a.params, global)).toBeGreaterThan(0.01);
    expect(global[0]).toBe(flattenModel(config, initialArrays(config, 5))[0]);
  });

  it("lowers the client's loss, and depends on the seed, flipped labels and the proximal term", async () => {
    const one = await inline.train(job({ training: { epochs: 1, batchSize: 8, lr: 0.1 } }));
    const many = await inline.train(job({ training: { epochs: 20, batchSize: 8, lr: 0.1 } }));
    expect(many.loss).toBeLessThan(one.loss);
    const other = await inline.train(job({ seed: 100 }));
    expect(Array.from(other.params)).not.toEqual(Array.from(one.params));
    const plain = await inline.train(job({ training: { epochs: 20, batchSize: 8, lr: 0.1 } }));
    const flipped = await inline.train(
      job({ flipLabels: true, training: { epochs: 20, batchSize: 8, lr: 0.1 } }),
    );
    expect(Array.from(flipped.params)).not.toEqual(Array.from(plain.params));
    const prox = await pool.train(job({ training: { epochs: 20, batchSize: 8, lr: 0.1, proximalMu: 1 } }));
    expect(distance(prox.params, global)).toBeLessThan(distance(plain.params, global));
  });

  it("reports a bad job as an error with a code, and the pool keeps working", async () => {
    await expect(pool.train(job({ training: { epochs: 0, batchSize: 8, lr: 0.1 } }))).rejects.toMatchObject({
      code: "FL_OPTION_INVALID",
    });
    await expect(pool.train(job({ rows: new Int32Array(0) }))).rejects.toMatchObject({
      code: "FL_CLIENT_EMPTY",
    });
    expect((await pool.train(job())).numExamples).toBe(21);
  });
});

describe("client training with a learning rate that changes between jobs", () => {
  it("reuses one compiled trainer and trains exactly as a fresh one at each rate", async () => {
    const runner = new InlineTrainer();
    const fresh = new InlineTrainer();
    try {
      const slow = job({ training: { epochs: 2, batchSize: 8, lr: 0.01 } });
      const fast = job({ training: { epochs: 2, batchSize: 8, lr: 0.3 } });
      const a = await runner.train(slow);
      const b = await runner.train(fast);
      expect(Array.from(b.params)).toEqual(Array.from((await fresh.train(fast)).params));
      expect(Array.from(a.params)).not.toEqual(Array.from(b.params));
      expect(Array.from((await runner.train(slow)).params)).toEqual(Array.from(a.params));
    } finally {
      await runner.close();
      await fresh.close();
    }
  });
});

describe("closing a worker pool", () => {
  it("rejects the jobs still in flight and refuses new ones", async () => {
    const closing = new WorkerPool(1);
    const inFlight = closing.train(job({ training: { epochs: 200, batchSize: 8, lr: 0.1 } }));
    await closing.close();
    await expect(inFlight).rejects.toMatchObject({ code: "FL_POOL_CLOSED" });
    await expect(closing.train(job())).rejects.toMatchObject({ code: "FL_POOL_CLOSED" });
  });
});
