import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readSafetensors, writeSafetensors } from "../io/safetensors.ts";
import { llamaParameterShapes } from "./llama.ts";
import { type LlamaConfig, validateLlamaConfig } from "./llamaConfig.ts";
import { type ParameterSet, parametersFromTensors, parametersToTensors } from "./parameters.ts";

/**
 * Save a decoder as Hugging Face does (`config.json` + `model.safetensors`, F32, HF names), so Python
 * `transformers` loads it with `LlamaForCausalLM.from_pretrained(dir)`.
 */
export async function saveLlama(dir: string, config: LlamaConfig, params: ParameterSet): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "config.json"), `${JSON.stringify(config, null, 2)}\n`);
  await writeFile(
    join(dir, "model.safetensors"),
    writeSafetensors(parametersToTensors(params), { format: "pt" }),
  );
}

/** Load a decoder saved by `saveLlama` (or by `transformers` in float32 with the same layout). */
export async function loadLlama(dir: string): Promise<{ config: LlamaConfig; params: ParameterSet }> {
  const config = validateLlamaConfig(JSON.parse(await readFile(join(dir, "config.json"), "utf8")));
  const file = readSafetensors(new Uint8Array(await readFile(join(dir, "model.safetensors"))));
  return { config, params: parametersFromTensors(file.tensors, llamaParameterShapes(config)) };
}
