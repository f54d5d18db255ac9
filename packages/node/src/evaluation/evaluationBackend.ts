import type {
  FullScoringInput,
  SubmissionScore,
  SubmissionScoringInput,
  TabularScoringInput,
  TabularSubmissionScore,
} from "@flock/engine";

/**
 * Everything one evaluation needs (the engine's scoring input, less its thread count); the validator daemon
 * fetches it with its assignment. One definition: the referee re-runs the same scoring on the same input.
 */
export type EvaluationJob = Omit<SubmissionScoringInput, "threads">;

/**
 * The outcome: BPC over assistant tokens (SPEC §2.1, lower is better), or +∞ with the reason the artifact
 * cannot be evaluated (the engine's `SubmissionScore`).
 */
export type EvaluationResult = SubmissionScore;

/** One full fine-tune (`lm-full`) evaluation (the engine's scoring input, less its threads and progress). */
export type FullEvaluationJob = Omit<FullScoringInput, "threads" | "onProgress">;

/** One classifier or regressor evaluation (the engine's tabular scoring input, less its thread count). */
export type TabularEvaluationJob = Omit<TabularScoringInput, "threads">;

/** Log-loss (with accuracy) or RMSE, or +∞ with the reason (the engine's `TabularSubmissionScore`). */
export type TabularEvaluationResult = TabularSubmissionScore;

/** Reported after every evaluated batch. */
export interface EvaluationProgressEvent {
  batch: number;
  totalBatches: number;
}

/**
 * The one call the validator daemon makes into an ML engine. It must be bit-reproducible and score an
 * artifact that cannot be evaluated +∞ (`kind: "unscorable"`) rather than fail: the referee re-runs the
 * same function.
 */
export interface EvaluationBackend {
  evaluate(
    job: EvaluationJob,
    onProgress?: (event: EvaluationProgressEvent) => void,
  ): Promise<EvaluationResult>;
  /**
   * Score a full fine-tune (`lm-full`) by BPC, bit-reproducibly and +∞ for an artifact that cannot be
   * evaluated, as the referee does. A backend without it scores LoRA tasks only.
   */
  evaluateFull?(
    job: FullEvaluationJob,
    onProgress?: (event: EvaluationProgressEvent) => void,
  ): Promise<EvaluationResult>;
  /**
   * Score a classifier or regressor submission, bit-reproducibly and +∞ for an artifact that cannot be
   * evaluated, as the referee does. A backend without it scores language tasks only.
   */
  evaluateTabular?(job: TabularEvaluationJob): Promise<TabularEvaluationResult>;
}
