import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import { type ParameterSet, parametersFromTensors, parametersToTensors } from "../nn/parameters.ts";
import { loraParameterShapes } from "./loraAdapter.ts";
import { fromPeftConfig, type LoraConfig, toPeftConfig } from "./loraConfig.ts";

/** Save an adapter in PEFT's layout: `adapter_config.json` + `adapter_model.safetensors`. */
export async function saveLoraAdapter(
  dir: string,
  lora: LoraConfig,
  adapter: ParameterSet,
  baseModel: string | null = null,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, "adapter_config.json"),
    `${JSON.stringify(toPeftConfig(lora, baseModel), null, 2)}\n`,
  );
  await writeFile(
    join(dir, "adapter_model.safetensors"),
    writeSafetensors(parametersToTensors(adapter), { format: "pt" }),
  );
}

/** Load a PEFT LoRA adapter for a decoder config (names and shapes are checked). */
export async function loadLoraAdapter(
  dir: string,
  config: LlamaConfig,
): Promise<{ lora: LoraConfig; adapter: ParameterSet }> {
  const lora = fromPeftConfig(JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8")));
  const file = readSafetensors(new Uint8Array(await readFile(join(dir, "adapter_model.safetensors"))));
  return { lora, adapter: parametersFromTensors(file.tensors, loraParameterShapes(config, lora)) };
}
