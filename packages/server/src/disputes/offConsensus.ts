import { scoreAccuracyWad } from "@flock/protocol";

/** One validator's reported score for a submission, with the validator's stake. */
export interface ValidatorScore {
  validator: string;
  score: bigint;
  stake: bigint;
}

/** A score far enough from consensus to be disputed. */
export interface OffConsensusScore extends ValidatorScore {
  /** |score − consensus|, in score units (1e18 = 1.0). */
  distance: bigint;
}

/**
 * True when `score` is off `consensus` beyond the tolerance τ: exactly the scores protocol's
 * `scoreAccuracyWad` gives accuracy 0 (d ≥ τ, or d > 0 when τ = 0). SPEC §2.1: the engine evaluates
 * bit-reproducibly, so honest validators agree exactly and such a score is evidence for a refereed dispute.
 */
export function isOffConsensus(score: bigint, consensus: bigint, toleranceScore: bigint): boolean {
  return scoreAccuracyWad(score, consensus, toleranceScore) === 0n;
}

/**
 * The disputable validators of one submission (pure): those whose score is off the consensus beyond the
 * tolerance, in input order. Stakes are carried along (the slash is a fraction of them) but do not decide
 * who is disputed: a liar with little stake is as disputable as one with much.
 * This is a protocol rule and belongs beside `scoreAccuracyWad` in `@flock/protocol`.
 */
export function offConsensusScores(
  scores: readonly ValidatorScore[],
  consensus: bigint,
  toleranceScore: bigint,
): OffConsensusScore[] {
  return scores
    .filter((s) => isOffConsensus(s.score, consensus, toleranceScore))
    .map((s) => ({ ...s, distance: s.score >= consensus ? s.score - consensus : consensus - s.score }));
}
