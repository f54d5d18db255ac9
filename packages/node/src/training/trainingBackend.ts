import type { TrainingRecipe } from "../recipe.ts";

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
}
