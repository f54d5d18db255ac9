import { type ScoreDirection, scoreFromMetric } from "./score.ts";

/**
 * The score of a submission that cannot be evaluated: an oversize, malformed or wrong-base artifact is not
 * refused but scored +∞ in the metric's bad direction (SPEC §2.1: "Oversize models score +∞"; FLock uses 999,
 * which a good enough model could beat). As a fixed-point score it is the largest magnitude that fits a
 * signed 256-bit word (and numeric(78,0)): 2²⁵⁵ − 1 for lower-is-better metrics (BPC, loss, RMSE), its
 * negation for higher-is-better ones (accuracy). It ranks below every finite score.
 */
export const WORST_SCORE_MAGNITUDE = 2n ** 255n - 1n;

/** The worst score of a metric direction (see WORST_SCORE_MAGNITUDE). */
export function worstScore(direction: ScoreDirection): bigint {
  switch (direction) {
    case "lower-is-better":
      return WORST_SCORE_MAGNITUDE;
    case "higher-is-better":
      return -WORST_SCORE_MAGNITUDE;
    default:
      return direction satisfies never;
  }
}

/** True when `score` is the worst score of its direction (an unscorable artifact's). */
export function isWorstScore(score: bigint, direction: ScoreDirection): boolean {
  return score === worstScore(direction);
}

/**
 * A metric as a score, where a non-finite metric (an unscorable artifact, +∞) is the direction's worst
 * score; finite metrics go through `scoreFromMetric`. Validators and the referee both score this way.
 * @example scoreOrWorst(Infinity, "lower-is-better") === WORST_SCORE_MAGNITUDE
 */
export function scoreOrWorst(metric: number, direction: ScoreDirection): bigint {
  if (typeof metric === "number" && !Number.isFinite(metric)) return worstScore(direction);
  return scoreFromMetric(metric);
}
