import { chatEvaluationBatches, decodeBaseModel, LanguageModelEvaluator } from "@flock/engine";

/**
 * BPC of the base model alone (no adapter) on a hidden set, scored exactly as validators score a submission
 * (`engineEvaluationBackend` in @flock/node: the same batches, evaluator and token-weighted sum, SPEC §2.1),
 * so the leaderboard can show how much each fine-tune improved on it.
 */
export async function baseModelBpc(
  baseModel: Uint8Array,
  validationJsonl: string,
  contextLength: number,
): Promise<number> {
  const base = decodeBaseModel(baseModel);
  const batches = chatEvaluationBatches(validationJsonl, contextLength, base.config.max_position_embeddings);
  const evaluator = new LanguageModelEvaluator(base.config, base.params, { threads: 1 });
  try {
    return (await evaluator.evaluate(batches)).bpc;
  } finally {
    await evaluator.release();
  }
}
