/** Everything one evaluation needs; the validator daemon fetches it with its assignment. */
export interface EvaluationJob {
  /** Content id of the task's base model. */
  baseModelId: string;
  /** The base model file (`flock-llama/1`). */
  baseModel: Uint8Array;
  /** The submission's artifact, already checked against its hash and size limit. */
  artifact: Uint8Array;
  /** The hidden validation set: ShareGPT JSONL. */
  validationData: string;
  /** The task's context length: conversations are cut to it. */
  contextLength: number;
  maxTrainableParams: number;
}

export interface EvaluationResult {
  /** Bits per byte over assistant tokens (SPEC §2.1), lower is better. */
  bpc: number;
  tokens: number;
  bytes: number;
}

/** Reported after every evaluated batch. */
export interface EvaluationProgressEvent {
  batch: number;
  totalBatches: number;
}

/**
 * The one call the validator daemon makes into an ML engine. It throws `ArtifactRejectedError` for an
 * artifact that cannot be scored (the daemon records the refusal) and must be bit-reproducible.
 */
export interface EvaluationBackend {
  evaluate(
    job: EvaluationJob,
    onProgress?: (event: EvaluationProgressEvent) => void,
  ): Promise<EvaluationResult>;
}
