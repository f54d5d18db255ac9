import type { SubmissionScore, SubmissionScoringInput } from "@flock/engine";

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
}
