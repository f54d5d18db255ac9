import { isFlockError } from "@flock/core";
import {
  type AdapterArtifact,
  countParameters,
  decodeAdapterArtifact as decodeFile,
  type LlamaConfig,
} from "@flock/engine";
import { ArtifactRejectedError } from "./artifactRejection.ts";

/** The single-file submission format lives in `@flock/engine`, shared with the coordinator's referee. */
export { ADAPTER_ARTIFACT_FORMAT, type AdapterArtifact, encodeAdapterArtifact } from "@flock/engine";

export interface AdapterArtifactLimits {
  /** The base model the task names; an adapter for another base is refused. */
  baseModel: string;
  /** The task's maximum number of trainable parameters. */
  maxTrainableParams: number;
}

/**
 * Parse and check a submitted adapter against its task: format, base model, names and shapes for the base
 * config (engine's `decodeAdapterArtifact`), then the trainable-parameter limit and finite values. Anything
 * wrong is an `ArtifactRejectedError`, which validators report as a refusal.
 */
export function decodeAdapterArtifact(
  bytes: Uint8Array,
  config: LlamaConfig,
  limits: AdapterArtifactLimits,
): AdapterArtifact {
  let artifact: AdapterArtifact;
  try {
    artifact = decodeFile(bytes, config, limits.baseModel);
  } catch (cause) {
    if (
      isFlockError(cause) &&
      (cause.code === "ARTIFACT_MALFORMED" || cause.code === "ARTIFACT_WRONG_BASE")
    ) {
      const error = new ArtifactRejectedError(cause.code, cause.message, cause.details ?? {});
      Object.defineProperty(error, "cause", { value: cause });
      throw error;
    }
    throw cause;
  }
  const trainable = countParameters(artifact.adapter);
  if (trainable > limits.maxTrainableParams) {
    throw new ArtifactRejectedError(
      "ARTIFACT_TOO_MANY_PARAMS",
      `the adapter has ${trainable} trainable parameters, the task allows ${limits.maxTrainableParams}`,
      { trainable, max: limits.maxTrainableParams },
    );
  }
  for (const [name, parameter] of artifact.adapter) {
    if (!parameter.data.every(Number.isFinite)) {
      throw new ArtifactRejectedError("ARTIFACT_NOT_FINITE", `tensor ${name} holds NaN or infinite values`, {
        tensor: name,
      });
    }
  }
  return artifact;
}
