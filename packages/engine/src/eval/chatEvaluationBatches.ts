import { ValidationError } from "@flock/core";
import type { Batch } from "../data/batch.ts";
import { makeBatches } from "../data/batching.ts";
import { renderChat } from "../data/chatTemplate.ts";
import { parseShareGpt } from "../data/sharegpt.ts";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";

/** Rows per batch when a submission is scored; every validator and the referee use the same value. */
export const CHAT_EVALUATION_BATCH_SIZE = 8;

/**
 * The batches a language-model submission is scored on (SPEC §2.1), the one definition validators and the
 * referee share so an honest score is reproduced to the bit: byte tokenizer, rows of
 * min(contextLength, maxPositions) tokens, each conversation cut at seqLen + 1 tokens, one conversation per
 * row (never packed), `batchSize` rows per batch.
 */
export function chatEvaluationBatches(
  jsonl: string,
  contextLength: number,
  maxPositions: number,
  batchSize = CHAT_EVALUATION_BATCH_SIZE,
): Batch[] {
  const tokenizer = new ByteTokenizer();
  const seqLen = Math.min(contextLength, maxPositions);
  const examples = parseShareGpt(jsonl).map((c) => renderChat(c, tokenizer, { maxTokens: seqLen + 1 }));
  const batches = makeBatches(examples, { batchSize, seqLen, padId: tokenizer.specials.pad, pack: false });
  if (batches.length === 0) {
    throw new ValidationError("VALIDATION_SET_EMPTY", "the hidden validation set holds no conversation", {
      hint: "the task's hidden set must contain ShareGPT conversations",
    });
  }
  // BPC divides by the scored bytes (SPEC §2.1): a set whose assistant replies are absent or cut away by the
  // context has none, and "0 bits over 0 bytes" must never read as a perfect score that an epoch pays.
  const bytes = scoredBytes(batches);
  if (bytes === 0) {
    throw new ValidationError(
      "VALIDATION_SET_NOTHING_SCORED",
      `the hidden validation set has no scored byte at context ${seqLen}: no assistant reply survives the cut`,
      {
        hint: "give conversations with assistant replies that start within the context length (BPC is measured on assistant bytes only)",
        details: { conversations: examples.length, contextLength: seqLen },
      },
    );
  }
  return batches;
}

/** Σ UTF-8 bytes of the scored target tokens of the batches: the denominator of BPC. */
export function scoredBytes(batches: readonly Batch[]): number {
  let bytes = 0;
  for (const batch of batches)
    for (let i = 0; i < batch.targetBytes.length; i++)
      if (batch.weights[i] !== 0) bytes += batch.targetBytes[i]!;
  return bytes;
}
