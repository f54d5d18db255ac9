import { ValidationError } from "@flock/core";
import type { LlamaConfig, LoraConfig } from "@flock/engine";
import type { Config } from "../messages.ts";

/**
 * How the participants of a federated LoRA task train (an `lm-lora` task's `trainConfig`): the adapter's shape
 * (Hu et al. 2021, as PEFT) and the local optimization from the global adapter each round. The coordinator
 * checks it at creation and initializes the adapter from it; every participant reads the same recipe, so all
 * updates have the global adapter's layout.
 */
export interface FlLoraRecipe {
  lora: LoraConfig;
  /** AdamW's peak learning rate (constant within a round; the optimizer restarts from zero each round). */
  learningRate: number;
  /** Optimizer steps per round; 0: `localEpochs` passes over the participant's rows. */
  localSteps: number;
  localEpochs: number;
  /** Rows per step (short conversations are packed into a row). */
  batchSize: number;
  /** Tokens per row, at most the base model's positions. */
  seqLen: number;
  /** Seeds the initial adapter (A ~ Kaiming-uniform, B = 0) and the local batch order. */
  seed: number;
  /** FedProx's μ (0: plain local training). */
  proximalMu: number;
}

/** The attention and MLP projections of a Llama decoder an adapter can attach to. */
export const LORA_TARGET_MODULES = [
  "q_proj",
  "k_proj",
  "v_proj",
  "o_proj",
  "gate_proj",
  "up_proj",
  "down_proj",
] as const;

/** The trainConfig keys of an lm-lora task (and FedProx's `proximal-mu`, which its strategy sends). */
export const FL_LORA_CONFIG_KEYS = [
  "loraRank",
  "loraAlpha",
  "loraDropout",
  "targetModules",
  "learningRate",
  "localSteps",
  "localEpochs",
  "batchSize",
  "seqLen",
  "seed",
  "proximalMu",
  /** Content id of a published adapter to start from instead of a fresh one (read by the coordinator). */
  "adapter",
] as const;

/** Used for what a task's trainConfig leaves out (seqLen: the base model's positions, at most 128). */
export const DEFAULT_FL_LORA_RECIPE = {
  loraRank: 8,
  loraAlpha: 16,
  loraDropout: 0,
  targetModules: "q_proj,v_proj",
  learningRate: 1e-2,
  localSteps: 0,
  localEpochs: 1,
  batchSize: 8,
  seed: 0,
  proximalMu: 0,
} as const;

function refuse(key: string, value: unknown, rule: string): never {
  throw new ValidationError(
    "FL_TRAIN_CONFIG_INVALID",
    `trainConfig.${key} is ${JSON.stringify(value)}: ${rule}`,
    {
      hint: `give trainConfig.${key} ${rule}, or leave it out for the default`,
      details: { key, value },
    },
  );
}

function whole(config: Config, key: string, fallback: number, min: number, max: number): number {
  const value = config[key] ?? fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    refuse(key, value, `a whole number from ${min} to ${max}`);
  }
  return value;
}

function real(
  config: Config,
  key: string,
  fallback: number,
  min: number,
  max: number,
  open: boolean,
): number {
  const value = config[key] ?? fallback;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value > max ||
    (open ? value <= min : value < min)
  ) {
    refuse(key, value, `a number ${open ? ">" : "≥"} ${min} and ≤ ${max}`);
  }
  return value;
}

/**
 * The LoRA recipe a task's trainConfig (or a training message's config, which carries it) asks for, checked
 * against the base model: rank 1…hidden size, α > 0, dropout in [0, 1), target modules among the decoder's
 * projections (comma-separated), learning rate in (0, 1], seqLen ≤ the model's positions. Errors are
 * `FL_TRAIN_CONFIG_INVALID` naming the key. Keys it does not know are left alone (messages carry others).
 */
export function flLoraRecipeOf(config: Config, model: LlamaConfig): FlLoraRecipe {
  const d = DEFAULT_FL_LORA_RECIPE;
  const r = whole(config, "loraRank", d.loraRank, 1, Math.min(256, model.hidden_size));
  const alpha = real(config, "loraAlpha", 2 * r, 0, 10_000, true);
  const dropout = real(config, "loraDropout", d.loraDropout, 0, 0.99, false);
  const targetsText = config.targetModules ?? d.targetModules;
  if (typeof targetsText !== "string")
    refuse("targetModules", targetsText, "a comma-separated list of projections");
  const targetModules = [...new Set(targetsText.split(",").map((m) => m.trim()))].filter((m) => m !== "");
  if (
    targetModules.length === 0 ||
    targetModules.some((m) => !(LORA_TARGET_MODULES as readonly string[]).includes(m))
  ) {
    refuse("targetModules", targetsText, `a comma-separated list of ${LORA_TARGET_MODULES.join(", ")}`);
  }
  const proximalMu = config.proximalMu ?? config["proximal-mu"] ?? d.proximalMu;
  if (typeof proximalMu !== "number" || !Number.isFinite(proximalMu) || proximalMu < 0 || proximalMu > 1000) {
    refuse("proximalMu", proximalMu, "a number ≥ 0 and ≤ 1000");
  }
  return {
    lora: { r, alpha, dropout, targetModules },
    learningRate: real(config, "learningRate", d.learningRate, 0, 1, true),
    localSteps: whole(config, "localSteps", d.localSteps, 0, 100_000),
    localEpochs: whole(config, "localEpochs", d.localEpochs, 1, 1000),
    batchSize: whole(config, "batchSize", d.batchSize, 1, 1024),
    seqLen: whole(
      config,
      "seqLen",
      Math.min(128, model.max_position_embeddings),
      2,
      model.max_position_embeddings,
    ),
    seed: whole(config, "seed", d.seed, 0, 2 ** 31),
    proximalMu,
  };
}

/** A task's trainConfig keys an lm-lora task does not know: refused at creation (a typo would be ignored). */
export function unknownFlLoraKeys(config: Config): string[] {
  return Object.keys(config).filter((k) => !(FL_LORA_CONFIG_KEYS as readonly string[]).includes(k));
}
