import { CHAT_EVALUATION_BATCH_SIZE, chatEvaluationBatches, LanguageModelEvaluator } from "@flock/engine";
import { decodeAdapterArtifact } from "../artifacts/adapterArtifact.ts";
import { decodeBaseModel } from "../artifacts/baseModelArtifact.ts";
import type { EvaluationBackend } from "./evaluationBackend.ts";

export interface EngineEvaluationOptions {
  /** Rows per evaluation batch (default `CHAT_EVALUATION_BATCH_SIZE`); every validator must use the same. */
  batchSize?: number;
  /** ONNX Runtime threads; evaluation is bit-identical for any count (engine README). */
  threads?: number;
}

/**
 * BPC of base + adapter on the hidden set with `@flock/engine`:
 * `BPC = Σ NLL_nats(scored tokens) / (ln 2 · Σ UTF-8 bytes of scored tokens)` (SPEC §2.1), token-weighted
 * over all conversations, with the sums done by the engine in a fixed order so honest validators agree.
 */
export function engineEvaluationBackend(options: EngineEvaluationOptions = {}): EvaluationBackend {
  return {
    async evaluate(job, onProgress) {
      const base = decodeBaseModel(job.baseModel);
      const { lora, adapter } = decodeAdapterArtifact(job.artifact, base.config, {
        baseModel: job.baseModelId,
        maxTrainableParams: job.maxTrainableParams,
      });
      const batches = chatEvaluationBatches(
        job.validationData,
        job.contextLength,
        base.config.max_position_embeddings,
        options.batchSize ?? CHAT_EVALUATION_BATCH_SIZE,
      );
      const evaluator = new LanguageModelEvaluator(base.config, base.params, {
        threads: options.threads ?? 1,
        lora: { config: lora, adapter },
      });
      try {
        const metrics = await evaluator.evaluate(batches, (batch, totalBatches) =>
          onProgress?.({ batch, totalBatches }),
        );
        return { bpc: metrics.bpc, tokens: metrics.tokens, bytes: metrics.bytes };
      } finally {
        await evaluator.release();
      }
    },
  };
}
