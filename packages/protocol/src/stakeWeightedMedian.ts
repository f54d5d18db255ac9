import { ProtocolError, ValidationError, WAD } from "@flock/core";
import { isBetter, readDirection, type ScoreDirection } from "./score.ts";
import { readAmount, readSignedInteger } from "./validate.ts";

/** One validator's score for a submission, weighted by its stake. */
export interface StakedScore {
  score: bigint;
  stake: bigint;
}

/** κ = 0.5 as in Bittensor's Yuma consensus, in WAD. */
export const DEFAULT_KAPPA_WAD = WAD / 2n;

/**
 * SPEC §2.1: the consensus of a submission, with Bittensor Yuma's definition of the stake-weighted median —
 * the BEST score that validators holding at least κ of the stake reach or beat:
 *   higher-is-better:  C = max{ c : Σ stake[score ≥ c] ≥ κ · total }
 *   lower-is-better:   C = min{ c : Σ stake[score ≤ c] ≥ κ · total }
 * Compared exactly in bigint (support · 1e18 ≥ κ · total). Equal scores are one value and a score backed by
 * no stake is never the answer, so the result is always a score a staked validator reported. Stake strictly
 * below κ cannot move C; at an exact 50/50 split (κ = 0.5) both halves reach κ and the better score wins.
 * yumaConsensus computes its per-miner consensus with this same function (higher-is-better on weights).
 * @example stakeWeightedMedian([{ score: 4n, stake: 5n }, { score: 7n, stake: 5n }], "higher-is-better") // 7n
 */
export function stakeWeightedMedian(
  entries: readonly StakedScore[],
  direction: ScoreDirection,
  kappaWad: bigint = DEFAULT_KAPPA_WAD,
): bigint {
  readDirection(direction);
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
  // Best first: walking down from the best score, the support of c is the stake of every score at least as good.
  const bestFirst = entries
    .map((entry) => ({
      score: readSignedInteger(entry.score, "score"),
      stake: readAmount(entry.stake, "stake"),
    }))
    .sort((a, b) =>
      isBetter(a.score, b.score, direction) ? -1 : isBetter(b.score, a.score, direction) ? 1 : 0,
    );
  const total = bestFirst.reduce((sum, entry) => sum + entry.stake, 0n);
  if (total === 0n) {
    throw new ProtocolError("ZERO_VALIDATOR_STAKE", "the validators of this submission have no stake", {
      hint: "a stake-weighted consensus needs validators with stake > 0",
    });
  }
  const threshold = kappaWad * total;
  let support = 0n;
  for (let i = 0; i < bestFirst.length; i++) {
    support += bestFirst[i]!.stake;
    const lastOfValue = i === bestFirst.length - 1 || bestFirst[i + 1]!.score !== bestFirst[i]!.score;
    if (lastOfValue && support * WAD >= threshold) return bestFirst[i]!.score;
  }
  // Unreachable: the whole stake always reaches κ ≤ 1 of the total.
  throw new ProtocolError("CONSENSUS_UNREACHED", "no score reached κ of the stake", {
    hint: "κ must be in (0, 1e18]; this is a bug if it happens",
  });
}
