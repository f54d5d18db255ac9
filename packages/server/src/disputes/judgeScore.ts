import { isOffConsensus } from "./offConsensus.ts";

/** What a refereed re-run decided about one validator's report. */
export type ScoreVerdict =
  /** The report is off the re-run beyond the tolerance, or refused an artifact the re-run scored. */
  | "dishonest"
  /** Nothing proven: the report is within tolerance of the re-run, or the refused artifact is unscorable. */
  | "not-proven";

export interface ScoreJudgement {
  verdict: ScoreVerdict;
  reason: string;
}

/**
 * The referee's rule (pure, SPEC §2.1 refereed dispute): evaluation is bit-reproducible, so the re-run is the
 * truth — whatever the consensus says, a colluding majority included. A reported score off the re-run beyond
 * the tolerance is dishonest; so is a refusal of an artifact the re-run could score (an unscorable artifact is
 * scored the worst score, never refused, so such a refusal only withholds work).
 * `reported` is null for a refusal; `rerunScorable` is false when the re-run found the artifact unscorable.
 */
export function judgeScore(input: {
  reported: bigint | null;
  rerun: bigint;
  rerunScorable: boolean;
  toleranceScore: bigint;
}): ScoreJudgement {
  if (input.reported === null) {
    return input.rerunScorable
      ? { verdict: "dishonest", reason: "the validator refused an artifact the re-run scores" }
      : { verdict: "not-proven", reason: "the re-run cannot score the artifact either" };
  }
  if (!isOffConsensus(input.reported, input.rerun, input.toleranceScore)) {
    return { verdict: "not-proven", reason: "the reported score is within tolerance of the re-run" };
  }
  return { verdict: "dishonest", reason: "the reported score is off the referee's re-run beyond tolerance" };
}
