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

/**
 * How a trainer trains a classifier or regressor task's MLP from its base model (every weight trains):
 * AdamW over seeded minibatch orders, linear warmup then cosine decay. The base model fixes the MLP's shape.
 */
export interface TabularRecipe {
  name: string;
  /** Passes over the training rows. */
  epochs: number;
  learningRate: number;
  /** Rows per step (at most the training set's rows). */
  batchSize: number;
  /** AdamW's decoupled weight decay. */
  weightDecay: number;
  seed: number;
}

/** The tabular counterparts of the LoRA recipes, by the same names: a trainer's recipe name picks both. */
export const TABULAR_RECIPES: Readonly<Record<string, TabularRecipe>> = {
  careful: { name: "careful", epochs: 5, learningRate: 3e-3, batchSize: 32, weightDecay: 0, seed: 1 },
  balanced: { name: "balanced", epochs: 20, learningRate: 1e-2, batchSize: 32, weightDecay: 1e-4, seed: 2 },
  bold: { name: "bold", epochs: 40, learningRate: 2e-2, batchSize: 16, weightDecay: 1e-4, seed: 3 },
};

/** A named tabular recipe, with optional overrides (e.g. fewer epochs in tests). */
export function tabularRecipe(name: string, overrides: Partial<TabularRecipe> = {}): TabularRecipe {
  const base = TABULAR_RECIPES[name];
  if (base === undefined) {
    throw new ValidationError("RECIPE_UNKNOWN", `there is no tabular training recipe named "${name}"`, {
      hint: `use one of ${Object.keys(TABULAR_RECIPES).join(", ")}`,
      details: { name },
    });
  }
  const recipe = { ...base, ...overrides, name: overrides.name ?? base.name };
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 1;
  if (
    !whole(recipe.epochs) ||
    !whole(recipe.batchSize) ||
    !(recipe.learningRate > 0) ||
    !(recipe.weightDecay >= 0)
  ) {
    throw new ValidationError("RECIPE_INVALID", `tabular recipe "${recipe.name}" has an invalid setting`, {
      hint: "epochs and batchSize are whole numbers ≥ 1, learningRate > 0, weightDecay ≥ 0",
      details: { ...recipe },
    });
  }
  return recipe;
}
