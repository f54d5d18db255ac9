import { ValidationError } from "@flock/core";
import { ADAPTER_ARTIFACT_FORMAT } from "../lora/adapterFile.ts";
import { fromPeftConfig, type LoraConfig, type PeftAdapterConfig, toPeftConfig } from "../lora/loraConfig.ts";
import { BASE_MODEL_FORMAT } from "../nn/baseModelFile.ts";
import { type LlamaConfig, validateLlamaConfig } from "../nn/llamaConfig.ts";
import { readSafetensors, writeSafetensors } from "./safetensors.ts";
import { TABULAR_MODEL_KEY } from "./tabularModelFile.ts";
import type { TensorData } from "./tensor.ts";

/**
 * Hugging Face folders from Flock's single-file artifacts. A Flock artifact is one safetensors file whose
 * metadata carries its config (so its content id covers both); `transformers` and `peft` open folders instead:
 * - a LoRA adapter (`flock-lora-adapter/1`) → PEFT's `adapter_config.json` + `adapter_model.safetensors`
 *   (tensor names `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`, F32);
 * - a decoder (`flock-llama/1`) → `config.json` (LlamaForCausalLM keys) + `model.safetensors` (HF names, F32),
 *   which `LlamaForCausalLM.from_pretrained(dir)` loads;
 * - a tabular MLP (`flock-tabular-mlp/1`) → `config.json` (its spec) + `model.safetensors` (`layers.{i}.*`);
 * - anything else → the artifact as it is, `flock-artifact.bin`.
 * The tensors keep their names, dtypes, shapes and bytes; only the metadata moves into JSON files.
 */
export type HfFolderKind = "peft-lora" | "llama" | "tabular" | "raw";

export interface HfFolder {
  kind: HfFolderKind;
  /** File name → bytes, in the order a listing shows them. */
  files: Map<string, Uint8Array>;
}

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** The Hugging Face folder of a Flock artifact (see {@link HfFolderKind}). */
export function hfFolderFromArtifact(bytes: Uint8Array, options: { baseModelName?: string } = {}): HfFolder {
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(bytes);
  } catch {
    return { kind: "raw", files: new Map([["flock-artifact.bin", bytes]]) };
  }
  const { metadata, tensors } = file;
  if (metadata.flock_format === ADAPTER_ARTIFACT_FORMAT && metadata.adapter_config !== undefined) {
    const lora = fromPeftConfig(JSON.parse(metadata.adapter_config));
    const config = toPeftConfig(lora, options.baseModelName ?? metadata.base_model ?? null);
    return {
      kind: "peft-lora",
      files: new Map([
        ["adapter_config.json", json(config)],
        ["adapter_model.safetensors", writeSafetensors(tensors, { format: "pt" })],
      ]),
    };
  }
  if (metadata.flock_format === BASE_MODEL_FORMAT && metadata.config !== undefined) {
    const config = validateLlamaConfig(JSON.parse(metadata.config));
    return {
      kind: "llama",
      files: new Map([
        ["config.json", json(config)],
        ["model.safetensors", writeSafetensors(tensors, { format: "pt" })],
      ]),
    };
  }
  const tabular = metadata[TABULAR_MODEL_KEY];
  if (tabular !== undefined) {
    return {
      kind: "tabular",
      files: new Map([
        ["config.json", json(JSON.parse(tabular))],
        ["model.safetensors", writeSafetensors(tensors, { format: "pt" })],
      ]),
    };
  }
  return { kind: "raw", files: new Map([["flock-artifact.bin", bytes]]) };
}

function need(files: ReadonlyMap<string, Uint8Array>, name: string): Uint8Array {
  const bytes = files.get(name);
  if (bytes === undefined) {
    throw new ValidationError("HF_FOLDER_INCOMPLETE", `the folder has no ${name}`, {
      hint: "a PEFT adapter folder has adapter_config.json and adapter_model.safetensors; a model folder config.json and model.safetensors",
    });
  }
  return bytes;
}

function jsonOf(bytes: Uint8Array, name: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new ValidationError("HF_FOLDER_INCOMPLETE", `${name} is not JSON`, {
      hint: "re-download the folder",
      cause,
    });
  }
}

/** A PEFT LoRA folder read back: its config, its tensors and the base model it names. */
export function readHfAdapterFolder(files: ReadonlyMap<string, Uint8Array>): {
  lora: LoraConfig;
  peft: PeftAdapterConfig;
  tensors: Record<string, TensorData>;
} {
  const peft = jsonOf(need(files, "adapter_config.json"), "adapter_config.json") as PeftAdapterConfig;
  const lora = fromPeftConfig(peft);
  return { lora, peft, tensors: readSafetensors(need(files, "adapter_model.safetensors")).tensors };
}

/** A Llama folder read back: its `config.json` and tensors. */
export function readHfLlamaFolder(files: ReadonlyMap<string, Uint8Array>): {
  config: LlamaConfig;
  tensors: Record<string, TensorData>;
} {
  const config = validateLlamaConfig(jsonOf(need(files, "config.json"), "config.json"));
  return { config, tensors: readSafetensors(need(files, "model.safetensors")).tensors };
}

/** Back from a folder to the single-file Flock artifact (same tensors, config in the metadata). */
export function artifactFromHfFolder(kind: HfFolderKind, files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  switch (kind) {
    case "peft-lora": {
      const { peft, tensors } = readHfAdapterFolder(files);
      return writeSafetensors(tensors, {
        format: "pt",
        flock_format: ADAPTER_ARTIFACT_FORMAT,
        base_model: peft.base_model_name_or_path ?? "",
        adapter_config: JSON.stringify(peft),
      });
    }
    case "llama": {
      const { config, tensors } = readHfLlamaFolder(files);
      return writeSafetensors(tensors, {
        format: "pt",
        flock_format: BASE_MODEL_FORMAT,
        config: JSON.stringify(config),
      });
    }
    case "tabular": {
      const spec = jsonOf(need(files, "config.json"), "config.json");
      return writeSafetensors(readSafetensors(need(files, "model.safetensors")).tensors, {
        [TABULAR_MODEL_KEY]: JSON.stringify(spec),
      });
    }
    case "raw":
      return need(files, "flock-artifact.bin");
    default:
      throw new Error(`unknown folder kind ${JSON.stringify(kind satisfies never)}`);
  }
}
