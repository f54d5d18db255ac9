import { ValidationError } from "@flock/core";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import { llamaParameterShapes } from "./llama.ts";
import { type LlamaConfig, validateLlamaConfig } from "./llamaConfig.ts";
import { type ParameterSet, parametersFromTensors, parametersToTensors } from "./parameters.ts";

/**
 * A base model as one content-addressed file: the Hugging Face `model.safetensors` tensors with the
 * `config.json` in the metadata, so a task can name its base model by content id (SPEC §4).
 */
export const BASE_MODEL_FORMAT = "flock-llama/1";

export interface BaseModel {
  config: LlamaConfig;
  params: ParameterSet;
}

/** Serialize a decoder to the single-file base model format. */
export function encodeBaseModel(model: BaseModel): Uint8Array {
  return writeSafetensors(parametersToTensors(model.params), {
    format: "pt",
    flock_format: BASE_MODEL_FORMAT,
    config: JSON.stringify(model.config),
  });
}

/** Parse a base model file written by `encodeBaseModel`. */
export function decodeBaseModel(bytes: Uint8Array): BaseModel {
  const file = readSafetensors(bytes);
  if (file.metadata.flock_format !== BASE_MODEL_FORMAT || file.metadata.config === undefined) {
    throw new ValidationError(
      "BASE_MODEL_MALFORMED",
      `the base model file is not in the ${BASE_MODEL_FORMAT} format`,
      {
        hint: "name a base model stored with encodeBaseModel (flock demo makes one)",
      },
    );
  }
  const config = validateLlamaConfig(JSON.parse(file.metadata.config));
  return { config, params: parametersFromTensors(file.tensors, llamaParameterShapes(config)) };
}
