import { ProtocolError, ValidationError, WAD } from "@flock/core";
import { readAmount, readSignedInteger } from "./validate.ts";

/** One validator's score for a submission, weighted by its stake. */
export interface StakedScore {
  score: bigint;
  stake: bigint;
}

/** κ = 0.5 as in Bittensor's Yuma consensus, in WAD. */
export const DEFAULT_KAPPA_WAD = WAD / 2n;

/**
 * SPEC §2.1: the consensus score of a submission is the stake-weighted median of its validators' scores.
 * Definition: sort by score ascending; the consensus is the lowest score s such that the stake of the
 * scores ≤ s reaches κ · total (compared exactly: cumulative · 1e18 ≥ κ · total). Equal scores are one
 * value, so their order never matters, and the answer is always one of the reported scores.
 * With κ = 0.5, stake strictly below half cannot move the consensus; stake strictly above half decides it.
 */
export function stakeWeightedMedian(
  entries: readonly StakedScore[],
  kappaWad: bigint = DEFAULT_KAPPA_WAD,
): bigint {
  if (entries.length === 0) {
    throw new ProtocolError("EMPTY_VALIDATOR_SET", "no validator scored this submission", {
      hint: "a consensus needs at least one validator score; assign validators before computing",
    });
  }
  if (typeof kappaWad !== "bigint" || kappaWad <= 0n || kappaWad > WAD) {
    throw new ValidationError("KAPPA_OUT_OF_RANGE", `κ ${String(kappaWad)} is outside (0, 1e18]`, {
      hint: "κ is a WAD fraction of stake, 0.5 = 500000000000000000n",
    });
  }
  const sorted = entries
    .map((entry) => ({
      score: readSignedInteger(entry.score, "score"),
      stake: readAmount(entry.stake, "stake"),
    }))
    .sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : 0));
  const total = sorted.reduce((sum, entry) => sum + entry.stake, 0n);
  if (total === 0n) {
    throw new ProtocolError("ZERO_VALIDATOR_STAKE", "the validators of this submission have no stake", {
      hint: "a stake-weighted consensus needs validators with stake > 0",
    });
  }
  const threshold = kappaWad * total;
  let cumulative = 0n;
  for (const entry of sorted) {
    cumulative += entry.stake;
    if (cumulative * WAD >= threshold) return entry.score;
  }
  // Unreachable: the full cumulative stake always reaches κ ≤ 1 of the total.
  return sorted[sorted.length - 1]!.score;
}
