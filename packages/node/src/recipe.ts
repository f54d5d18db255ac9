import { ValidationError } from "@flock/core";

/** How a trainer fine-tunes: LoRA shape and optimizer schedule (SPEC §2.1: trainers compete on recipes). */
export interface TrainingRecipe {
  name: string;
  /** LoRA rank and scale (alpha). */
  rank: number;
  alpha: number;
  /** Projections the adapter attaches to. */
  targetModules: string[];
  steps: number;
  learningRate: number;
  batchSize: number;
  /** Tokens per training row (at most the base model's context). */
  seqLen: number;
  seed: number;
}

/** Three named recipes that differ in capacity and learning rate, so trainers in a demo rank apart. */
export const RECIPES: Readonly<Record<string, TrainingRecipe>> = {
  careful: {
    name: "careful",
    rank: 4,
    alpha: 8,
    targetModules: ["q_proj", "v_proj"],
    steps: 30,
    learningRate: 3e-3,
    batchSize: 8,
    seqLen: 96,
    seed: 1,
  },
  balanced: {
    name: "balanced",
    rank: 8,
    alpha: 16,
    targetModules: ["q_proj", "k_proj", "v_proj", "o_proj"],
    steps: 30,
    learningRate: 1e-2,
    batchSize: 8,
    seqLen: 96,
    seed: 2,
  },
  bold: {
    name: "bold",
    rank: 8,
    alpha: 16,
    targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
    steps: 30,
    learningRate: 1e-2,
    batchSize: 8,
    seqLen: 96,
    seed: 3,
  },
};

/** A named recipe, with optional overrides (e.g. fewer steps in tests). */
export function recipe(name: string, overrides: Partial<TrainingRecipe> = {}): TrainingRecipe {
  const base = RECIPES[name];
  if (base === undefined) {
    throw new ValidationError("RECIPE_UNKNOWN", `there is no training recipe named "${name}"`, {
      hint: `use one of ${Object.keys(RECIPES).join(", ")}`,
      details: { name },
    });
  }
  return { ...base, ...overrides, name: overrides.name ?? base.name };
}
