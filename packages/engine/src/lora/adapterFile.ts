import { ValidationError } from "@flock/core";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import { type ParameterSet, parametersFromTensors, parametersToTensors } from "../nn/parameters.ts";
import { loraParameterShapes } from "./loraAdapter.ts";
import { fromPeftConfig, type LoraConfig, toPeftConfig } from "./loraConfig.ts";

/**
 * A LoRA submission as one content-addressed file: the adapter as safetensors with PEFT tensor names, whose
 * metadata carries the PEFT `adapter_config.json` and the base model's content id. One file keeps the commit
 * hash equal to the sha256 of exactly what validators score (SPEC §2.1 commit-reveal, §4 PEFT layout).
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

const HINT = `a submission must be a ${ADAPTER_ARTIFACT_FORMAT} file trained on the task's base model`;

/**
 * Parse a submission file for a base model: format, base model id, tensor names and shapes. Errors are
 * ValidationErrors coded `ARTIFACT_MALFORMED` or `ARTIFACT_WRONG_BASE`.
 */
export function decodeAdapterArtifact(
  bytes: Uint8Array,
  config: LlamaConfig,
  baseModel: string,
): AdapterArtifact {
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(bytes);
  } catch (cause) {
    throw new ValidationError(
      "ARTIFACT_MALFORMED",
      `the artifact is not a safetensors file: ${(cause as Error).message}`,
      {
        hint: HINT,
        cause,
      },
    );
  }
  if (file.metadata.flock_format !== ADAPTER_ARTIFACT_FORMAT) {
    throw new ValidationError(
      "ARTIFACT_MALFORMED",
      `the artifact's format is ${file.metadata.flock_format ?? "missing"}, not ${ADAPTER_ARTIFACT_FORMAT}`,
      { hint: HINT },
    );
  }
  if (file.metadata.base_model !== baseModel) {
    throw new ValidationError(
      "ARTIFACT_WRONG_BASE",
      `the adapter was trained on ${file.metadata.base_model}, the task's base model is ${baseModel}`,
      { hint: HINT, details: { baseModel: file.metadata.base_model, expected: baseModel } },
    );
  }
  try {
    const lora = fromPeftConfig(JSON.parse(file.metadata.adapter_config ?? "null"));
    const expected = loraParameterShapes(config, lora);
    const extra = Object.keys(file.tensors).filter((name) => !expected.has(name));
    if (extra.length > 0) throw new Error(`unexpected tensors ${extra.slice(0, 3).join(", ")}`);
    return { lora, adapter: parametersFromTensors(file.tensors, expected), baseModel };
  } catch (cause) {
    throw new ValidationError(
      "ARTIFACT_MALFORMED",
      `the adapter does not fit the base model: ${(cause as Error).message}`,
      { hint: HINT, cause },
    );
  }
}
