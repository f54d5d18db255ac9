/**
 * How a language-model submission is scored: the exact settings the validator daemon
 * (`@flock/node`'s `engineEvaluationBackend` with its defaults) uses, so the referee's re-run evaluates the
 * same graph on the same batches and gets the same bits. Any change here must be made there too; the
 * definition belongs in `@flock/engine` (or `@flock/protocol`) where both sides can import it.
 */
export interface LanguageEvaluationSettings {
  /** The engine's byte tokenizer (`ByteTokenizer`, 256 bytes + specials). */
  tokenizer: "byte";
  /** Rows per evaluation batch. */
  batchSize: number;
  /** Tokens per row: the task's context length, at most the base model's `max_position_embeddings`. */
  seqLen: number;
  /** `renderChat`'s cut: a conversation keeps at most seqLen + 1 tokens (inputs plus shifted targets). */
  maxTokens: number;
  /** One conversation per row, never packed. */
  pack: false;
  /** ONNX Runtime threads; results are bit-identical for any count (engine README), 1 keeps it cheap. */
  threads: number;
  /** The adapter is merged into the base once (W + (α/r)·B·A), the engine's default. */
  mergeAdapter: true;
}

/** Rows per batch every validator and the referee use (the validator daemon's default). */
export const EVALUATION_BATCH_SIZE = 8;

/** The evaluation settings of a task's submissions on a base model with `maxPositions` positions. */
export function languageEvaluationSettings(
  contextLength: number,
  maxPositions: number,
): LanguageEvaluationSettings {
  const seqLen = Math.min(contextLength, maxPositions);
  return {
    tokenizer: "byte",
    batchSize: EVALUATION_BATCH_SIZE,
    seqLen,
    maxTokens: seqLen + 1,
    pack: false,
    threads: 1,
    mergeAdapter: true,
  };
}
