import { NotImplementedError, ValidationError } from "@flock/core";
import {
  ByteTokenizer,
  decodeAdapterArtifact,
  decodeBaseModel,
  LanguageModelEvaluator,
  makeBatches,
  parseShareGpt,
  renderChat,
} from "@flock/engine";
import { languageEvaluationSettings } from "./evaluationSettings.ts";
import type { SubmissionEvaluator } from "./submissionEvaluator.ts";

/**
 * The referee's evaluator on `@flock/engine`: BPC of base + LoRA adapter on the hidden ShareGPT set,
 * `BPC = Σ NLL_nats(scored tokens) / (ln 2 · Σ UTF-8 bytes of scored tokens)` (SPEC §2.1), with the
 * validators' exact settings (`languageEvaluationSettings`) and the engine's fixed-order sums, so an honest
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
      const settings = languageEvaluationSettings(input.contextLength, base.config.max_position_embeddings);
      const tokenizer = new ByteTokenizer();
      const examples = parseShareGpt(new TextDecoder().decode(input.validationSet)).map((c) =>
        renderChat(c, tokenizer, { maxTokens: settings.maxTokens }),
      );
      const batches = makeBatches(examples, {
        batchSize: settings.batchSize,
        seqLen: settings.seqLen,
        padId: tokenizer.specials.pad,
        pack: settings.pack,
      });
      if (batches.length === 0) {
        throw new ValidationError("VALIDATION_SET_EMPTY", "the hidden validation set holds no conversation", {
          hint: "the task's hidden set must contain ShareGPT conversations",
        });
      }
      const evaluator = new LanguageModelEvaluator(base.config, base.params, {
        threads: settings.threads,
        lora: { config: lora, adapter },
        mergeAdapter: settings.mergeAdapter,
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
