import type { TabularRecipe, TrainingRecipe } from "../recipe.ts";

/** Everything one fine-tuning run needs; the daemon fetches it from the coordinator. */
export interface TrainingJob {
  /** Content id of the base model (recorded in the artifact). */
  baseModelId: string;
  /** The base model file (`flock-llama/1`). */
  baseModel: Uint8Array;
  /** Public training data: ShareGPT JSONL. */
  trainingData: string;
  recipe: TrainingRecipe;
  /** Folder for checkpoints: a run that finds one there resumes from it. */
  workDir: string;
}

/** Everything training a classifier or regressor task's MLP needs. */
export interface TabularTrainingJob {
  /** The task's type: the base model must be an MLP of this kind. */
  taskType: "classifier" | "regressor";
  /** The base model file (`flock-tabular-mlp/1`): the starting weights, config and columns. */
  baseModel: Uint8Array;
  /** Public training data: a CSV with the base model's feature and label columns. */
  trainingData: string;
  recipe: TabularRecipe;
  /** Folder for checkpoints: a run that finds one there resumes from it. */
  workDir: string;
}

/** Reported after every optimizer step. */
export interface TrainingProgressEvent {
  step: number;
  totalSteps: number;
  loss: number;
}

/** The one call the trainer daemon makes into an ML engine; tests pass tiny settings, never a fake. */
export interface TrainingBackend {
  /** Fine-tune and return the submission artifact's bytes. */
  train(job: TrainingJob, onProgress?: (event: TrainingProgressEvent) => void): Promise<Uint8Array>;
  /**
   * Full fine-tuning (`lm-full`): train every weight of the decoder with the recipe's schedule and return a
   * `flock-llama/1` file of the base model's config. A backend without it does not take lm-full tasks.
   */
  trainFull?(job: TrainingJob, onProgress?: (event: TrainingProgressEvent) => void): Promise<Uint8Array>;
  /**
   * Train a classifier or regressor task's MLP and return the submission (a `flock-tabular-mlp/1` file of
   * the base model's config and columns). A backend without it trains language tasks only.
   */
  trainTabular?(
    job: TabularTrainingJob,
    onProgress?: (event: TrainingProgressEvent) => void,
  ): Promise<Uint8Array>;
}
