import { describe, expect, it } from "vitest";
import type { Batch } from "../data/batch.ts";
import { createRng } from "../data/random.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { LanguageModelEvaluator } from "./evaluateLanguageModel.ts";

const config = llamaConfig({ hiddenSize: 64, numLayers: 2, numHeads: 4, vocabSize: 261, maxPositions: 64 });
const params = initLlamaParameters({ ...config, initializer_range: 0.2 }, createRng(8));

function randomBatch(seed: number, batchSize = 8, seqLen = 32): Batch {
  const rng = createRng(seed);
  const n = batchSize * seqLen;
  return {
    batchSize,
    seqLen,
    inputIds: Int32Array.from({ length: n }, () => rng.nextInt(261)),
    targets: Int32Array.from({ length: n }, () => rng.nextInt(256)),
    weights: Float32Array.from({ length: n }, () => (rng.next() < 0.7 ? 1 : 0)),
    targetBytes: Int32Array.from({ length: n }, () => 1 + rng.nextInt(3)),
    attentionMask: Float32Array.from({ length: n }, (_, i) =>
      i % seqLen < seqLen - 3 || i < seqLen ? 1 : 0,
    ),
  };
}

describe("language-model evaluation", () => {
  it("BPC is Σ NLL over scored tokens / (ln 2 · Σ their UTF-8 bytes)", async () => {
    const evaluator = new LanguageModelEvaluator(config, params);
    const batch = randomBatch(1);
    const nll = await evaluator.tokenNll(batch);
    let sum = 0;
    let bytes = 0;
    for (let i = 0; i < nll.length; i++) {
      if (batch.weights[i] === 1) {
        sum += nll[i]!;
        bytes += batch.targetBytes[i]!;
      }
    }
    const metrics = await evaluator.evaluate([batch]);
    expect(metrics.bpc).toBeCloseTo(sum / (Math.LN2 * bytes), 12);
    expect(metrics.bytes).toBe(bytes);
    // An untrained model is near uniform over its vocabulary: ≈ ln 261 nats per token.
    expect(metrics.loss).toBeGreaterThan(4);
    expect(metrics.loss).toBeLessThan(7);
    await evaluator.release();
  });

  it("is bit-identical across runs and across 1 and 2 threads", async () => {
    const batches = [randomBatch(2), randomBatch(3)];
    const results = [];
    for (const threads of [1, 2, 2, 1]) {
      const evaluator = new LanguageModelEvaluator(config, params, { threads });
      const metrics = await evaluator.evaluate(batches);
      const tokens = await evaluator.tokenNll(batches[0]!);
      results.push({ metrics, tokens: Array.from(tokens) });
      await evaluator.release();
    }
    for (const r of results.slice(1)) {
      expect(Object.is(r.metrics.nllSum, results[0]!.metrics.nllSum)).toBe(true);
      expect(r.metrics.bpc).toBe(results[0]!.metrics.bpc);
      expect(r.tokens).toEqual(results[0]!.tokens);
    }
  });
});
