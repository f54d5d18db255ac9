import { NotImplementedError } from "@flock/core";
import {
  chatEvaluationBatches,
  decodeAdapterArtifact,
  decodeBaseModel,
  LanguageModelEvaluator,
} from "@flock/engine";
import type { SubmissionEvaluator } from "./submissionEvaluator.ts";

/**
 * The referee's evaluator on `@flock/engine`: BPC of base + LoRA adapter on the hidden ShareGPT set,
 * `BPC = Σ NLL_nats(scored tokens) / (ln 2 · Σ UTF-8 bytes of scored tokens)` (SPEC §2.1), with the
 * validators' exact batches (`chatEvaluationBatches` from the engine) and the engine's fixed-order sums, so an honest
 * validator's score is reproduced to the bit. Only LoRA language tasks are evaluated.
 */
export function engineSubmissionEvaluator(): SubmissionEvaluator {
  return {
    async evaluate(input) {
      if (input.taskType !== "lm-lora") {
        throw new NotImplementedError(`refereeing a ${input.taskType} task's scores`, {
          hint: "only lm-lora scores are re-run; dispute those",
          details: { taskType: input.taskType },
        });
      }
      const base = decodeBaseModel(input.baseModel);
      const { lora, adapter } = decodeAdapterArtifact(input.artifact, base.config, input.baseModelId);
      const batches = chatEvaluationBatches(
        new TextDecoder().decode(input.validationSet),
        input.contextLength,
        base.config.max_position_embeddings,
      );
      const evaluator = new LanguageModelEvaluator(base.config, base.params, {
        // Evaluation is bit-identical for any thread count (engine README); one thread keeps it cheap.
        threads: 1,
        lora: { config: lora, adapter },
      });
      try {
        const metrics = await evaluator.evaluate(batches);
        return { metric: metrics.bpc };
      } finally {
        await evaluator.release();
      }
    },
  };
}
