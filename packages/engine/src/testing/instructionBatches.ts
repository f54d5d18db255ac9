import type { Batch } from "../data/batch.ts";
import { makeBatches } from "../data/batching.ts";
import { renderChat } from "../data/chatTemplate.ts";
import { generateInstructionDataset } from "../datasets/instructions.ts";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";

/** Train and held-out batches of the synthetic instruction data, byte-tokenized with the chat template. */
export function instructionBatches(options: {
  seed: number;
  train: number;
  heldOut: number;
  batchSize: number;
  seqLen: number;
}): {
  train: Batch[];
  heldOut: Batch[];
} {
  const tokenizer = new ByteTokenizer();
  const render = (count: number, seed: number) =>
    generateInstructionDataset({ seed, count }).map((e) =>
      renderChat(e.conversation, tokenizer, { maxTokens: options.seqLen + 1 }),
    );
  const batchOptions = {
    batchSize: options.batchSize,
    seqLen: options.seqLen,
    padId: tokenizer.specials.pad,
    dropLast: true,
  };
  return {
    train: makeBatches(render(options.train, options.seed), batchOptions),
    heldOut: makeBatches(render(options.heldOut, options.seed + 1000), { ...batchOptions, pack: false }),
  };
}
