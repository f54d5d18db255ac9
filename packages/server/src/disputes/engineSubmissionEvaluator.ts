import { scoreFullSubmission, scoreSubmission, scoreTabularSubmission } from "@flock/engine";
import type { SubmissionEvaluator } from "./submissionEvaluator.ts";

/**
 * The referee's evaluator on `@flock/engine`: the engine's scoring functions the validators run too (same
 * size and format checks, same batches, same fixed-order sums), so an honest validator's score is reproduced
 * to the bit and an artifact validators find unscorable is unscorable here (+∞). One thread: evaluation is
 * bit-identical for any count. LoRA language tasks are re-run with `scoreSubmission` (BPC), full fine-tunes
 * with `scoreFullSubmission` (BPC), classifier and regressor tasks with `scoreTabularSubmission` (log-loss,
 * RMSE).
 */
export function engineSubmissionEvaluator(): SubmissionEvaluator {
  return {
    async evaluate(input) {
      if (input.taskType === "classifier" || input.taskType === "regressor") {
        const result = await scoreTabularSubmission({
          taskType: input.taskType,
          baseModel: input.baseModel,
          artifact: input.artifact,
          validationData: new TextDecoder().decode(input.validationSet),
          maxArtifactBytes: input.maxArtifactBytes,
          threads: 1,
        });
        return { metric: result.metric };
      }
      if (input.taskType === "lm-full") {
        const result = await scoreFullSubmission({
          baseModel: input.baseModel,
          artifact: input.artifact,
          validationData: new TextDecoder().decode(input.validationSet),
          contextLength: input.contextLength,
          maxArtifactBytes: input.maxArtifactBytes,
          threads: 1,
        });
        return { metric: result.bpc };
      }
      const result = await scoreSubmission({
        baseModelId: input.baseModelId,
        baseModel: input.baseModel,
        artifact: input.artifact,
        validationData: new TextDecoder().decode(input.validationSet),
        contextLength: input.contextLength,
        maxTrainableParams: input.maxTrainableParams,
        maxArtifactBytes: input.maxArtifactBytes,
        threads: 1,
      });
      return { metric: result.bpc };
    },
  };
}
