import { isFlockError } from "@flock/core";
import { decodeAdapterArtifact } from "../lora/adapterFile.ts";
import { decodeBaseModel } from "../nn/baseModelFile.ts";
import { countParameters } from "../nn/parameters.ts";
import { CHAT_EVALUATION_BATCH_SIZE, chatEvaluationBatches } from "./chatEvaluationBatches.ts";
import { LanguageModelEvaluator } from "./evaluateLanguageModel.ts";

/** Why an artifact cannot be evaluated; it is then scored +∞ (SPEC §2.1), with this code as evidence. */
export type UnscorableArtifactCode =
  | "ARTIFACT_TOO_LARGE"
  | "ARTIFACT_MALFORMED"
  | "ARTIFACT_WRONG_BASE"
  | "ARTIFACT_TOO_MANY_PARAMS"
  | "ARTIFACT_NOT_FINITE";

/** Everything one LoRA submission's score depends on: the task's settings and three files. */
export interface SubmissionScoringInput {
  /** Content id of the task's base model, and its `flock-llama/1` file. */
  baseModelId: string;
  baseModel: Uint8Array;
  /** The submitted `flock-lora-adapter/1` file (already checked against its committed hash). */
  artifact: Uint8Array;
  /** The hidden validation set: ShareGPT JSONL. */
  validationData: string;
  contextLength: number;
  maxTrainableParams: number;
  /** The network's artifact size limit: a larger artifact is oversize. */
  maxArtifactBytes: number;
  /** ONNX Runtime threads; the result is bit-identical for any count. */
  threads?: number;
  onProgress?: (event: { batch: number; totalBatches: number }) => void;
}

/** The outcome: BPC, or +∞ with the reason the artifact could not be evaluated. */
export type SubmissionScore =
  | { kind: "scored"; bpc: number; tokens: number; bytes: number }
  | {
      kind: "unscorable";
      /** +∞: the metric of an artifact that cannot be evaluated, lower being better. */
      bpc: number;
      code: UnscorableArtifactCode;
      message: string;
      details: Record<string, unknown>;
    };

function unscorable(
  code: UnscorableArtifactCode,
  message: string,
  details: Record<string, unknown> = {},
): SubmissionScore {
  return { kind: "unscorable", bpc: Number.POSITIVE_INFINITY, code, message, details };
}

/**
 * The one scoring function of a LoRA language submission (SPEC §2.1), used by validators and by the
 * referee alike so an honest validator's score is the referee's to the bit: an artifact over the size
 * limit, not in the adapter format, for another base model, with more trainable parameters than the task
 * allows or with NaN/∞ weights is unscorable (+∞, never refused); otherwise
 * `BPC = Σ NLL_nats(scored tokens) / (ln 2 · Σ UTF-8 bytes of scored tokens)` over `chatEvaluationBatches`
 * with the adapter merged, sums in the engine's fixed order. Errors that are not the artifact's fault (a
 * malformed base model or hidden set) are thrown.
 */
export async function scoreSubmission(input: SubmissionScoringInput): Promise<SubmissionScore> {
  if (input.artifact.length > input.maxArtifactBytes) {
    return unscorable(
      "ARTIFACT_TOO_LARGE",
      `the artifact has ${input.artifact.length} bytes, the limit is ${input.maxArtifactBytes}`,
      { size: input.artifact.length, maxBytes: input.maxArtifactBytes },
    );
  }
  const base = decodeBaseModel(input.baseModel);
  let decoded: ReturnType<typeof decodeAdapterArtifact>;
  try {
    decoded = decodeAdapterArtifact(input.artifact, base.config, input.baseModelId);
  } catch (cause) {
    if (
      isFlockError(cause) &&
      (cause.code === "ARTIFACT_MALFORMED" || cause.code === "ARTIFACT_WRONG_BASE")
    ) {
      return unscorable(cause.code, cause.message, cause.details ?? {});
    }
    throw cause;
  }
  const trainable = countParameters(decoded.adapter);
  if (trainable > input.maxTrainableParams) {
    return unscorable(
      "ARTIFACT_TOO_MANY_PARAMS",
      `the adapter has ${trainable} trainable parameters, the task allows ${input.maxTrainableParams}`,
      { trainable, max: input.maxTrainableParams },
    );
  }
  for (const [name, parameter] of decoded.adapter) {
    if (!parameter.data.every(Number.isFinite)) {
      return unscorable("ARTIFACT_NOT_FINITE", `tensor ${name} holds NaN or infinite values`, {
        tensor: name,
      });
    }
  }
  const batches = chatEvaluationBatches(
    input.validationData,
    input.contextLength,
    base.config.max_position_embeddings,
    CHAT_EVALUATION_BATCH_SIZE,
  );
  const evaluator = new LanguageModelEvaluator(base.config, base.params, {
    threads: input.threads ?? 1,
    lora: { config: decoded.lora, adapter: decoded.adapter },
  });
  try {
    const metrics = await evaluator.evaluate(batches, (batch, totalBatches) =>
      input.onProgress?.({ batch, totalBatches }),
    );
    return { kind: "scored", bpc: metrics.bpc, tokens: metrics.tokens, bytes: metrics.bytes };
  } finally {
    await evaluator.release();
  }
}
