import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sha256Hex } from "@flock/core";
import { ByteTokenizer, llamaConfig, pretrainLlama } from "@flock/engine";
import { encodeBaseModel } from "@flock/node";
import type { FlockHome } from "../home.ts";
import type { Progress } from "../progress.ts";
import type { DemoSettings } from "./demoSettings.ts";
import { pretrainingText } from "./pretrainingText.ts";

/**
 * The demo's base model: a small byte-level Llama pretrained on generated stories and worked examples (see
 * `pretrainingText.ts`), made once per home and settings and reused afterwards
 * (`models/base-<settings hash>.safetensors`).
 */
export async function demoBaseModel(
  home: FlockHome,
  settings: DemoSettings,
  progress: (total: number) => Progress,
): Promise<{ bytes: Uint8Array; cached: boolean; heldOutBpc?: number }> {
  const key = sha256Hex(JSON.stringify({ model: settings.model, pretrain: settings.pretrain })).slice(0, 16);
  const path = join(home.modelsDir, `base-${key}.safetensors`);
  if (existsSync(path)) return { bytes: new Uint8Array(readFileSync(path)), cached: true };
  const config = llamaConfig({
    hiddenSize: settings.model.hiddenSize,
    numLayers: settings.model.numLayers,
    numHeads: settings.model.numHeads,
    vocabSize: 261,
    maxPositions: settings.model.contextLength,
  });
  const bar = progress(settings.pretrain.steps);
  const result = await pretrainLlama({
    config,
    tokenizer: new ByteTokenizer(),
    text: pretrainingText(settings.pretrain),
    seqLen: settings.model.contextLength,
    batchSize: settings.pretrain.batchSize,
    steps: settings.pretrain.steps,
    lr: 5e-3,
    seed: 1,
    onProgress: (p) => bar.update(p.step, `loss ${p.loss.toFixed(3)}`),
  });
  bar.finish(`held-out BPC ${result.heldOut.bpc.toFixed(3)}`);
  const bytes = encodeBaseModel({ config, params: result.params });
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
  return { bytes, cached: false, heldOutBpc: result.heldOut.bpc };
}
