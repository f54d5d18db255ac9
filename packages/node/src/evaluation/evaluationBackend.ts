import type { SubmissionScore } from "@flock/engine";

/** Everything one evaluation needs; the validator daemon fetches it with its assignment. */
export interface EvaluationJob {
  /** Content id of the task's base model. */
  baseModelId: string;
  /** The base model file (`flock-llama/1`). */
  baseModel: Uint8Array;
  /** The submission's artifact, already checked against its committed hash. */
  artifact: Uint8Array;
  /** The hidden validation set: ShareGPT JSONL. */
  validationData: string;
  /** The task's context length: conversations are cut to it. */
  contextLength: number;
  maxTrainableParams: number;
  /** The network's artifact size limit: a larger artifact is unscorable (+∞). */
  maxArtifactBytes: number;
}

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
