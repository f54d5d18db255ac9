import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Batch } from "../data/batch.ts";
import { createRng } from "../data/random.ts";
import { initLoraParameters } from "../lora/loraAdapter.ts";
import { loraConfig } from "../lora/loraConfig.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { cloneParameters } from "../nn/parameters.ts";
import { adamw } from "../optim/adamw.ts";
import { sgd } from "../optim/sgd.ts";
import { patternBatches, tinyDecoder } from "../testing/tinyModel.ts";
import { loadCheckpoint } from "./checkpoint.ts";
import { languageModelTask } from "./languageModelTask.ts";
import { runTraining } from "./runTraining.ts";
import { Trainer, type TrainerOptions } from "./trainer.ts";

const dir = mkdtempSync(join(tmpdir(), "flock-train-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const options: TrainerOptions = {
  optimizer: adamw({ weightDecay: 0.01 }),
  schedule: { peak: 1e-2, warmupSteps: 3, totalSteps: 40 },
  clipNorm: 1,
};

async function makeTrainer(extra: Partial<TrainerOptions> = {}, batchSize = 4) {
  const { config, params } = tinyDecoder();
  return Trainer.create(languageModelTask(config, cloneParameters(params), { batchSize, seqLen: 16 }), {
    ...options,
    ...extra,
  });
}

describe("training a decoder with in-graph AdamW", () => {
  it("learns a repeating pattern: loss falls far below its start", async () => {
    const trainer = await makeTrainer();
    const batches = patternBatches(8, 4, 16, 32, 1);
    const progress: number[] = [];
    const { results } = await runTraining({
      trainer,
      items: batches,
      totalSteps: 40,
      seed: 3,
      onProgress: (p) => progress.push(p.step),
    });
    expect(progress).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(results[0]!.loss).toBeGreaterThan(3);
    expect(results.at(-1)!.loss).toBeLessThan(1.2);
    expect(results[1]!.lr).toBeCloseTo((2 / 3) * 1e-2, 9);
    await trainer.release();
  });

  it("resuming from a checkpoint gives exactly the loss curve of an uninterrupted run", async () => {
    const batches = patternBatches(5, 4, 16, 32, 2);
    const straight = await makeTrainer();
    const full = await runTraining({ trainer: straight, items: batches, totalSteps: 12, seed: 9 });
    await straight.release();

    const first = await makeTrainer();
    await runTraining({
      trainer: first,
      items: batches,
      totalSteps: 7,
      seed: 9,
      checkpoint: { dir, every: 7 },
    });
    await first.release();
    const saved = await loadCheckpoint(dir);
    expect(saved.trainer.step).toBe(7);
    const { config, params } = tinyDecoder();
    const resumed = await Trainer.create(
      languageModelTask(config, params, { batchSize: 4, seqLen: 16 }),
      options,
      saved.trainer,
    );
    const rest = await runTraining({
      trainer: resumed,
      items: batches,
      totalSteps: 12,
      seed: 9,
      position: saved.position,
    });
    await resumed.release();
    expect(rest.results.map((r) => r.loss)).toEqual(full.results.slice(7).map((r) => r.loss));
  });

  it("a LoRA run with dropout resumes with exactly the same losses", async () => {
    const { config, params } = tinyDecoder();
    const lora = loraConfig({ r: 4, dropout: 0.2, targetModules: ["q_proj", "v_proj", "down_proj"] });
    const batches = patternBatches(4, 4, 16, 32, 8);
    const make = (adapter = initLoraParameters(config, lora, createRng(5))) =>
      Trainer.create(
        languageModelTask(config, params, {
          batchSize: 4,
          seqLen: 16,
          lora: { config: lora, adapter, seed: 2 },
        }),
        options,
      );
    const straight = await make();
    const full = await runTraining({ trainer: straight, items: batches, totalSteps: 6, seed: 1 });
    await straight.release();
    const first = await make();
    const part = await runTraining({ trainer: first, items: batches, totalSteps: 3, seed: 1 });
    const saved = first.saveState();
    await first.release();
    const resumed = await Trainer.create(
      languageModelTask(config, params, {
        batchSize: 4,
        seqLen: 16,
        lora: { config: lora, adapter: initLoraParameters(config, lora, createRng(9)), seed: 2 },
      }),
      options,
      saved,
    );
    const rest = await runTraining({
      trainer: resumed,
      items: batches,
      totalSteps: 6,
      seed: 1,
      position: part.position,
    });
    await resumed.release();
    expect(rest.results.map((r) => r.loss)).toEqual(full.results.slice(3).map((r) => r.loss));
  });

  it("two accumulated micro-batches update like one batch of both", async () => {
    const [a, b] = patternBatches(2, 2, 16, 32, 4) as [Batch, Batch];
    const joined: Batch = {
      batchSize: 4,
      seqLen: 16,
      inputIds: Int32Array.from([...a.inputIds, ...b.inputIds]),
      targets: Int32Array.from([...a.targets, ...b.targets]),
      weights: Float32Array.from([...a.weights, ...b.weights]),
      targetBytes: Int32Array.from([...a.targetBytes, ...b.targetBytes]),
      attentionMask: Float32Array.from([...a.attentionMask, ...b.attentionMask]),
    };
    const accumulated = await makeTrainer({ accumulation: 2 }, 2);
    const fused = await makeTrainer({}, 4);
    const r1 = await accumulated.trainStep([a, b]);
    const r2 = await fused.trainStep([joined]);
    expect(r1.loss).toBeCloseTo(r2.loss, 5);
    expect(r1.gradNorm).toBeCloseTo(r2.gradNorm, 4);
    const p1 = accumulated.parameters().get("model.layers.0.self_attn.q_proj.weight")!.data;
    const p2 = fused.parameters().get("model.layers.0.self_attn.q_proj.weight")!.data;
    let maxDiff = 0;
    for (let i = 0; i < p1.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p1[i]! - p2[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
    await accumulated.release();
    await fused.release();
  });

  it("training is bit-identical across runs and across 1 and 2 threads", async () => {
    // Big enough that ONNX Runtime splits kernels across both threads (1024 tokens, width 256).
    const config = llamaConfig({
      hiddenSize: 256,
      numLayers: 1,
      numHeads: 4,
      vocabSize: 261,
      maxPositions: 64,
    });
    const batches = patternBatches(2, 16, 64, 261, 6);
    const runs: number[][] = [];
    for (const threads of [1, 2, 2]) {
      const params = initLlamaParameters(config, createRng(1));
      const trainer = await Trainer.create(languageModelTask(config, params, { batchSize: 16, seqLen: 64 }), {
        ...options,
        threads,
      });
      const losses = [];
      for (const batch of [...batches, ...batches]) losses.push((await trainer.trainStep([batch])).loss);
      const embedding = trainer.parameters().get("model.embed_tokens.weight")!.data;
      runs.push([...losses, ...embedding]);
      await trainer.release();
    }
    // Count differing values (a diff of 66k numbers would be unreadable).
    const differing = (run: number[]) => run.filter((x, i) => !Object.is(x, runs[0]![i])).length;
    expect(runs[0]!.length).toBe(4 + 261 * 256);
    expect(differing(runs[1]!)).toBe(0);
    expect(differing(runs[2]!)).toBe(0);
  });

  it("SGD with momentum also lowers the loss", async () => {
    const trainer = await makeTrainer({ optimizer: sgd({ momentum: 0.9 }), schedule: { peak: 0.1 } });
    const { results } = await runTraining({
      trainer,
      items: patternBatches(4, 4, 16, 32, 5),
      totalSteps: 15,
      seed: 1,
    });
    expect(results.at(-1)!.loss).toBeLessThan(results[0]!.loss - 0.5);
    await trainer.release();
  });
});

describe("Trainer.reset", () => {
  it("trains again from given weights exactly as a new trainer would", async () => {
    const { initTabularMlp, tabularTask, createRng } = await import("../index.ts");
    const config = { kind: "classifier" as const, numFeatures: 3, hidden: [4], numClasses: 2 };
    const params = initTabularMlp(config, createRng(1));
    const batch = { x: Float32Array.of(1, 0, 0, 0, 1, 0), y: Int32Array.of(0, 1) };
    const options = { schedule: { peak: 0.1 } };
    const fresh = await Trainer.create(tabularTask(config, params, 2), options);
    const a = await fresh.trainStep([batch]);
    const reused = await Trainer.create(tabularTask(config, params, 2), options);
    await reused.trainStep([batch]);
    await reused.trainStep([batch]);
    reused.reset(params);
    const b = await reused.trainStep([batch]);
    expect(b.loss).toBe(a.loss);
    expect([...reused.parameters().get("layers.0.weight")!.data]).toEqual([
      ...fresh.parameters().get("layers.0.weight")!.data,
    ]);
    expect(() => reused.reset(new Map())).toThrow(/no parameter/);
    await fresh.release();
    await reused.release();
  });
});
