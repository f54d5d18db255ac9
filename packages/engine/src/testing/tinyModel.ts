import type { Batch } from "../data/batch.ts";
import { createRng } from "../data/random.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { type LlamaConfig, llamaConfig } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";

/** A tiny byte-vocabulary decoder for fast tests. */
export function tinyDecoder(seed = 1, vocabSize = 32): { config: LlamaConfig; params: ParameterSet } {
  const config = llamaConfig({
    hiddenSize: 32,
    numLayers: 2,
    numHeads: 4,
    numKvHeads: 2,
    vocabSize,
    maxPositions: 32,
  });
  return { config, params: initLlamaParameters(config, createRng(seed)) };
}

/** Batches of a noisy repeating pattern (every token scored, 1 byte each). */
export function patternBatches(
  count: number,
  batchSize: number,
  seqLen: number,
  vocab: number,
  seed: number,
): Batch[] {
  const rng = createRng(seed);
  const batches: Batch[] = [];
  for (let b = 0; b < count; b++) {
    const n = batchSize * seqLen;
    const seq = new Int32Array(n + 1);
    for (let r = 0; r < batchSize; r++) {
      const offset = rng.nextInt(7);
      for (let t = 0; t <= seqLen; t++)
        seq[r * seqLen + t] = (((t + offset) * 3) % 7) + (rng.next() < 0.05 ? 8 : 0);
    }
    const inputIds = new Int32Array(n);
    const targets = new Int32Array(n);
    for (let r = 0; r < batchSize; r++) {
      for (let t = 0; t < seqLen; t++) {
        inputIds[r * seqLen + t] = seq[r * seqLen + t]! % vocab;
        targets[r * seqLen + t] = (t + 1 < seqLen ? seq[r * seqLen + t + 1]! : ((t + 1 + 0) * 3) % 7) % vocab;
      }
    }
    batches.push({
      batchSize,
      seqLen,
      inputIds,
      targets,
      weights: new Float32Array(n).fill(1),
      targetBytes: new Int32Array(n).fill(1),
      attentionMask: new Float32Array(n).fill(1),
    });
  }
  return batches;
}
