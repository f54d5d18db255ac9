import type { SubmissionEvaluator } from "./submissionEvaluator.ts";

/**
 * The engine evaluator, loaded on its first dispute: ONNX Runtime is loaded only by a coordinator that
 * actually referees, not by every process that builds the app.
 */
export function lazyEngineEvaluator(): SubmissionEvaluator {
  let loaded: Promise<SubmissionEvaluator> | undefined;
  return {
    async evaluate(input) {
      loaded ??= import("./engineSubmissionEvaluator.ts").then((m) => m.engineSubmissionEvaluator());
      return (await loaded).evaluate(input);
    },
  };
}
