import { scoreFullSubmission, scoreSubmission, scoreTabularSubmission } from "@flock/engine";
import type { EvaluationBackend } from "./evaluationBackend.ts";

export interface EngineEvaluationOptions {
  /** ONNX Runtime threads; evaluation is bit-identical for any count (engine README). */
  threads?: number;
}

/**
 * The engine's `scoreSubmission`, the one scoring function validators and the referee share:
 * `BPC = Σ NLL_nats(scored tokens) / (ln 2 · Σ UTF-8 bytes of scored tokens)` (SPEC §2.1) over the
 * engine's evaluation batches, or +∞ for an oversize, malformed, wrong-base, too large or non-finite adapter;
 * `scoreFullSubmission` for full fine-tunes (the same BPC of the submitted decoder), and
 * `scoreTabularSubmission` for classifier (log-loss) and regressor (RMSE) tasks: the referee's functions too.
 */
export function engineEvaluationBackend(options: EngineEvaluationOptions = {}): EvaluationBackend {
  return {
    evaluate: (job, onProgress) =>
      scoreSubmission({
        ...job,
        threads: options.threads ?? 1,
        ...(onProgress === undefined ? {} : { onProgress }),
      }),
    evaluateFull: (job, onProgress) =>
      scoreFullSubmission({
        ...job,
        threads: options.threads ?? 1,
        ...(onProgress === undefined ? {} : { onProgress }),
      }),
    evaluateTabular: (job) => scoreTabularSubmission({ ...job, threads: options.threads ?? 1 }),
  };
}
