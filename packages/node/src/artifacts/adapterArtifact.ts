import {
  countParameters,
  fromPeftConfig,
  type LlamaConfig,
  type LoraConfig,
  loraParameterShapes,
  type ParameterSet,
  parametersFromTensors,
  parametersToTensors,
  readSafetensors,
  toPeftConfig,
  writeSafetensors,
} from "@flock/engine";
import { ArtifactRejectedError } from "./artifactRejection.ts";

/**
 * A submission is one content-addressed file: a LoRA adapter as safetensors with PEFT tensor names, whose
 * metadata carries the PEFT `adapter_config.json` and the base model's content id. One file keeps the
 * commit hash equal to the sha256 of exactly what validators score (SPEC §2.1 commit-reveal, §4 PEFT layout).
 */
export const ADAPTER_ARTIFACT_FORMAT = "flock-lora-adapter/1";

export interface AdapterArtifact {
  lora: LoraConfig;
  adapter: ParameterSet;
  /** Content id of the base model the adapter was trained on. */
  baseModel: string;
}

/** Serialize an adapter to the single-file submission format. */
export function encodeAdapterArtifact(artifact: AdapterArtifact): Uint8Array {
  return writeSafetensors(parametersToTensors(artifact.adapter), {
    format: "pt",
    flock_format: ADAPTER_ARTIFACT_FORMAT,
    base_model: artifact.baseModel,
    adapter_config: JSON.stringify(toPeftConfig(artifact.lora, artifact.baseModel)),
  });
}

export interface AdapterArtifactLimits {
  /** The base model the task names; an adapter for another base is refused. */
  baseModel: string;
  /** The task's maximum number of trainable parameters. */
  maxTrainableParams: number;
}

function malformed(message: string, cause?: unknown): ArtifactRejectedError {
  const error = new ArtifactRejectedError("ARTIFACT_MALFORMED", message);
  if (cause !== undefined) Object.defineProperty(error, "cause", { value: cause });
  return error;
}

/**
 * Parse and check a submitted adapter against its task: format, base model, names and shapes for the base
 * config, trainable-parameter limit and finite values. Anything else is an `ArtifactRejectedError`.
 */
export function decodeAdapterArtifact(
  bytes: Uint8Array,
  config: LlamaConfig,
  limits: AdapterArtifactLimits,
): AdapterArtifact {
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(bytes);
  } catch (cause) {
    throw malformed(`the artifact is not a safetensors file: ${(cause as Error).message}`, cause);
  }
  if (file.metadata.flock_format !== ADAPTER_ARTIFACT_FORMAT) {
    throw malformed(`the artifact's format is ${file.metadata.flock_format ?? "missing"}, not ${ADAPTER_ARTIFACT_FORMAT}`);
  }
  if (file.metadata.base_model !== limits.baseModel) {
    throw new ArtifactRejectedError(
      "ARTIFACT_WRONG_BASE",
      `the adapter was trained on ${file.metadata.base_model}, the task's base model is ${limits.baseModel}`,
      { baseModel: file.metadata.base_model, expected: limits.baseModel },
    );
  }
  let lora: LoraConfig;
  let adapter: ParameterSet;
  try {
    lora = fromPeftConfig(JSON.parse(file.metadata.adapter_config ?? "null"));
    const expected = loraParameterShapes(config, lora);
    const extra = Object.keys(file.tensors).filter((name) => !expected.has(name));
    if (extra.length > 0) throw new Error(`unexpected tensors ${extra.slice(0, 3).join(", ")}`);
    adapter = parametersFromTensors(file.tensors, expected);
  } catch (cause) {
    if (cause instanceof ArtifactRejectedError) throw cause;
    throw malformed(`the adapter does not fit the base model: ${(cause as Error).message}`, cause);
  }
  const trainable = countParameters(adapter);
  if (trainable > limits.maxTrainableParams) {
    throw new ArtifactRejectedError(
      "ARTIFACT_TOO_MANY_PARAMS",
      `the adapter has ${trainable} trainable parameters, the task allows ${limits.maxTrainableParams}`,
      { trainable, max: limits.maxTrainableParams },
    );
  }
  for (const [name, parameter] of adapter) {
    if (!parameter.data.every(Number.isFinite)) {
      throw new ArtifactRejectedError("ARTIFACT_NOT_FINITE", `tensor ${name} holds NaN or infinite values`, {
        tensor: name,
      });
    }
  }
  return { lora, adapter, baseModel: limits.baseModel };
}
