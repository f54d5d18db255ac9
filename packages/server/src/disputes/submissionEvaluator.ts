/** Everything a re-run of one submission's evaluation needs, read from the artifact store. */
export interface EvaluationInput {
  /** The task's type (SPEC §2.1); the metric depends on it. */
  taskType: "lm-lora" | "lm-full" | "classifier" | "regressor";
  /** Content id of the task's base model, and its bytes. */
  baseModelId: string;
  baseModel: Uint8Array;
  /** The submitted artifact's bytes. */
  artifact: Uint8Array;
  /** The hidden validation set's bytes. */
  validationSet: Uint8Array;
  contextLength: number;
  maxTrainableParams: number;
  /** The network's artifact size limit: a larger artifact is oversize (scored +∞). */
  maxArtifactBytes: number;
}

/**
 * Re-runs a submission's evaluation for the referee and returns the raw metric (BPC for language tasks,
 * log-loss for classifiers, RMSE for regressors; +∞
 * for an artifact that cannot be evaluated), which the referee converts with `scoreOrWorst` exactly as
 * validators do. It must be deterministic;
 * `engineSubmissionEvaluator` is the real one, tests of routes and jobs may pass their own.
 */
export interface SubmissionEvaluator {
  evaluate(input: EvaluationInput): Promise<{ metric: number }>;
}
