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
  return batches;
}
