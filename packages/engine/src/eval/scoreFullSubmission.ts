import { decodeBaseModel } from "../nn/baseModelFile.ts";
import { countParameters } from "../nn/parameters.ts";
import { CHAT_EVALUATION_BATCH_SIZE, chatEvaluationBatches } from "./chatEvaluationBatches.ts";
import { LanguageModelEvaluator } from "./evaluateLanguageModel.ts";
import type { SubmissionScore, UnscorableArtifactCode } from "./scoreSubmission.ts";

/** Slack in bytes a full fine-tune may have beyond twice its base model's header. */
const HEADER_SLACK_BYTES = 4096;

/**
 * The largest full fine-tune (`lm-full`) submission a task with this base model takes: the same tensors as
 * the base model (`4·P` bytes of F32) and a header of the same config, so `4·P + 2·(8 + H) + 4096` bytes
 * (H: the base file's header length). The base model must be a `flock-llama/1` file.
 */
export function fullSubmissionByteLimit(baseModel: Uint8Array): number {
  const parameters = countParameters(decodeBaseModel(baseModel).params);
  const headerBytes = baseModel.length - 4 * parameters;
  return 4 * parameters + 2 * headerBytes + HEADER_SLACK_BYTES;
}

/** Everything one full fine-tune's score depends on: the task's settings and three files. */
export interface FullScoringInput {
  /** The task's `flock-llama/1` base model: the submission must have its config. */
  baseModel: Uint8Array;
  /** The submitted `flock-llama/1` file: every weight of the fine-tuned decoder. */
  artifact: Uint8Array;
  /** The hidden validation set: ShareGPT JSONL. */
  validationData: string;
  contextLength: number;
  /** The network's artifact size limit; the task's own (`fullSubmissionByteLimit`) applies when lower. */
  maxArtifactBytes: number;
  threads?: number;
  onProgress?: (event: { batch: number; totalBatches: number }) => void;
}

/**
 * The one scoring function of a full fine-tune (`lm-full`, SPEC §2.1), run by validators and the referee:
 * `BPC` over assistant tokens of the hidden set, exactly as `scoreSubmission` measures a LoRA adapter merged
 * into its base. A submission over the size limit, not a `flock-llama/1` file, with another config than the
 * base model, or with NaN/∞ weights is unscorable (+∞). A base model that is not a decoder is thrown.
 */
export async function scoreFullSubmission(input: FullScoringInput): Promise<SubmissionScore> {
  const unscorable = (
    code: UnscorableArtifactCode,
    message: string,
    details: Record<string, unknown> = {},
  ): SubmissionScore => ({ kind: "unscorable", bpc: Number.POSITIVE_INFINITY, code, message, details });
  const base = decodeBaseModel(input.baseModel);
  const maxBytes = Math.min(input.maxArtifactBytes, fullSubmissionByteLimit(input.baseModel));
  if (input.artifact.length > maxBytes) {
    return unscorable(
      "ARTIFACT_TOO_LARGE",
      `the artifact has ${input.artifact.length} bytes, the limit is ${maxBytes}`,
      { size: input.artifact.length, maxBytes },
    );
  }
  let submitted: ReturnType<typeof decodeBaseModel>;
  try {
    submitted = decodeBaseModel(input.artifact);
  } catch (cause) {
    // Decoding reads nothing but the submitted bytes: whatever fails in it is the submission's fault.
    return unscorable(
      "ARTIFACT_MALFORMED",
      `not a flock-llama/1 model: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
  if (JSON.stringify(submitted.config) !== JSON.stringify(base.config)) {
    return unscorable("ARTIFACT_WRONG_BASE", "the submitted model's config differs from the base model's", {
      expected: base.config as unknown as Record<string, unknown>,
      actual: submitted.config as unknown as Record<string, unknown>,
    });
  }
  for (const [name, parameter] of submitted.params) {
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
  const evaluator = new LanguageModelEvaluator(submitted.config, submitted.params, {
    threads: input.threads ?? 1,
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
