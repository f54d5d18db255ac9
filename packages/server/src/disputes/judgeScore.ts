import { isOffConsensus } from "./offConsensus.ts";

/** What a refereed re-run decided about one reported score. */
export type ScoreVerdict =
  /** The re-run equals the consensus to the bit and the report is off it beyond the tolerance. */
  | "dishonest"
  /** Nothing proven: the report is within tolerance, or the re-run does not reproduce the consensus. */
  | "not-proven";

export interface ScoreJudgement {
  verdict: ScoreVerdict;
  reason: string;
}

/**
 * The referee's rule (pure, SPEC §2.1 refereed dispute): a validator is proven dishonest only when the
 * deterministic re-run reproduces the consensus exactly (same fixed-point score after `scoreFromMetric`)
 * and the validator's report differs from it beyond the tolerance. A re-run that matches neither proves
 * nothing about the validator (the consensus itself is then in doubt), so it never slashes.
 */
export function judgeScore(input: {
  reported: bigint;
  rerun: bigint;
  consensus: bigint;
  toleranceScore: bigint;
}): ScoreJudgement {
  if (!isOffConsensus(input.reported, input.consensus, input.toleranceScore)) {
    return { verdict: "not-proven", reason: "the reported score is within tolerance of the consensus" };
  }
  if (input.rerun !== input.consensus) {
    return {
      verdict: "not-proven",
      reason:
        input.rerun === input.reported
          ? "the re-run reproduces the validator's score, not the consensus"
          : "the re-run reproduces neither the consensus nor the validator's score",
    };
  }
  return {
    verdict: "dishonest",
    reason: "the re-run reproduces the consensus; the reported score is off it",
  };
}
