import { describe, expect, it } from "vitest";
import { generateCorpus, unigramBitsPerByte } from "./datasets/corpus.ts";
import { llamaConfig } from "./nn/llamaConfig.ts";
import { pretrainLlama } from "./pretrain.ts";
import { ByteTokenizer } from "./tokenizer/byteTokenizer.ts";

describe("pretraining a byte-level Llama from scratch", () => {
  it("reaches held-out BPC well below the unigram baseline of the corpus", async () => {
    const text = generateCorpus({ seed: 11, bytes: 120_000 });
    const unigram = unigramBitsPerByte(text);
    const config = llamaConfig({
      hiddenSize: 96,
      numLayers: 2,
      numHeads: 4,
      vocabSize: 261,
      maxPositions: 64,
    });
    const result = await pretrainLlama({
      config,
      tokenizer: new ByteTokenizer(),
      text,
      seqLen: 64,
      batchSize: 8,
      steps: 160,
      lr: 5e-3,
      seed: 1,
    });
    expect(result.losses[0]!).toBeGreaterThan(5);
    expect(result.heldOut.bpc).toBeLessThan(0.8 * unigram);
  });
});
