import {
  createRng,
  formatShareGpt,
  generateInstructionDataset,
  initLlamaParameters,
  llamaConfig,
} from "@flock/engine";
import { encodeBaseModel } from "../artifacts/baseModelArtifact.ts";
import { recipe, type TrainingRecipe } from "../recipe.ts";

/** A tiny byte-level decoder as a base model file: fast enough that tests train and evaluate in seconds. */
export function tinyBaseModel(seed = 1): Uint8Array {
  const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 64 });
  return encodeBaseModel({ config, params: initLlamaParameters(config, createRng(seed)) });
}

/** Synthetic instruction conversations as ShareGPT JSONL. */
export function instructionJsonl(seed: number, count: number): string {
  return formatShareGpt(generateInstructionDataset({ seed, count }).map((e) => e.conversation));
}

/** A named recipe cut down to a few steps on short rows. */
export function tinyRecipe(name: string, steps = 6): TrainingRecipe {
  return recipe(name, { steps, batchSize: 4, seqLen: 48 });
}
