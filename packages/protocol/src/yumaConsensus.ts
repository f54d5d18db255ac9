import { ProtocolError, ValidationError, WAD } from "@flock/core";
import { minBigint } from "./fixedPoint.ts";
import { DEFAULT_KAPPA_WAD, stakeWeightedMedian } from "./stakeWeightedMedian.ts";
import { assertUnique, normalizeAccount, readAmount } from "./validate.ts";

/** One validator's row of the weight matrix: raw non-negative weights, one per miner. */
export interface YumaValidator {
  account: string;
  stake: bigint;
  weights: readonly bigint[];
}

/** Every figure of one Yuma consensus run, in WAD (1e18 = 1.0). */
export interface YumaResult {
  miners: string[];
  validators: string[];
  /** W: each validator's weights normalized so its row sums to ≤ 1 (floor). */
  weights: bigint[][];
  /** S: stakes normalized to sum to ≤ 1 (floor). */
  stake: bigint[];
  /** C_j: the highest weight that validators holding ≥ κ of the stake give miner j at least. */
  consensus: bigint[];
  /** W'_ij = min(W_ij, C_j). */
  clippedWeights: bigint[][];
  /** P_j = Σ_i S_i · W_ij (before clipping). */
  preRanks: bigint[];
  /** R_j = Σ_i S_i · W'_ij. */
  ranks: bigint[];
  /** I_j = R_j / Σ_k R_k. */
  incentive: bigint[];
  /** T_j = R_j / P_j: how much of miner j's support survived clipping. */
  trust: bigint[];
  /** T_v,i = Σ_j W'_ij: how much of validator i's weight agreed with consensus. */
  validatorTrust: bigint[];
}

/**
 * Yuma consensus for the dataset competition, with Bittensor's documented semantics:
 *   rows normalized: W_ij = w_ij / Σ_j w_ij;   stake normalized: S_i = s_i / Σ s
 *   consensus:       C_j = max{ c : Σ_i S_i · [W_ij ≥ c] ≥ κ }
 *   clipping:        W'_ij = min(W_ij, C_j)
 *   ranks:           R_j = Σ_i S_i · W'_ij,   incentive I_j = R_j / Σ_k R_k
 *   trust:           T_j = R_j / P_j with P_j = Σ_i S_i · W_ij;   validator trust T_v,i = Σ_j W'_ij
 * All in WAD bigints with floor division. Support is compared on raw stakes, so κ is exact.
 * Bonds and dividends need state across epochs and are not computed here.
 */
export function yumaConsensus(
  miners: readonly string[],
  validators: readonly YumaValidator[],
  kappaWad: bigint = DEFAULT_KAPPA_WAD,
): YumaResult {
  if (validators.length === 0) {
    throw new ProtocolError("EMPTY_VALIDATOR_SET", "Yuma consensus needs at least one validator", {
      hint: "collect weights from at least one staked validator",
    });
  }
  if (typeof kappaWad !== "bigint" || kappaWad <= 0n || kappaWad > WAD) {
    throw new ValidationError("KAPPA_OUT_OF_RANGE", `κ ${String(kappaWad)} is outside (0, 1e18]`, {
      hint: "κ is a WAD fraction of stake, 0.5 = 500000000000000000n",
    });
  }
  assertUnique([...miners], "miner");
  const accounts = validators.map((v, i) => normalizeAccount(v.account, `validators[${i}].account`));
  assertUnique(accounts, "validator account");
  const rawStake = validators.map((v, i) => readAmount(v.stake, `validators[${i}].stake`));
  const totalStake = rawStake.reduce((a, b) => a + b, 0n);
  if (totalStake === 0n) {
    throw new ProtocolError("ZERO_VALIDATOR_STAKE", "the validators have no stake", {
      hint: "Yuma consensus weighs validators by stake; at least one needs stake > 0",
    });
  }
  const weights = validators.map((v, i) => {
    if (v.weights.length !== miners.length) {
      throw new ValidationError(
        "WEIGHT_ROW_LENGTH",
        `validator ${accounts[i]} gives ${v.weights.length} weights`,
        {
          hint: `give exactly one weight per miner (${miners.length})`,
        },
      );
    }
    const row = v.weights.map((w, j) => readAmount(w, `weights[${i}][${j}]`));
    const sum = row.reduce((a, b) => a + b, 0n);
    return row.map((w) => (sum === 0n ? 0n : (w * WAD) / sum));
  });
  const stake = rawStake.map((s) => (s * WAD) / totalStake);

  // One consensus rule (SPEC §2.1): each miner's column goes through the same stake-weighted median as a
  // submission's scores, with weights as higher-is-better scores.
  const consensus = miners.map((_, j) =>
    stakeWeightedMedian(
      weights.map((row, i) => ({ score: row[j]!, stake: rawStake[i]! })),
      "higher-is-better",
      kappaWad,
    ),
  );
  const clippedWeights = weights.map((row) => row.map((w, j) => minBigint(w, consensus[j]!)));
  const columnSum = (matrix: bigint[][], j: number): bigint =>
    matrix.reduce((sum, row, i) => sum + stake[i]! * row[j]!, 0n) / WAD;
  const preRanks = miners.map((_, j) => columnSum(weights, j));
  const ranks = miners.map((_, j) => columnSum(clippedWeights, j));
  const rankTotal = ranks.reduce((a, b) => a + b, 0n);
  const incentive = ranks.map((r) => (rankTotal === 0n ? 0n : (r * WAD) / rankTotal));
  const trust = ranks.map((r, j) => (preRanks[j] === 0n ? 0n : (r * WAD) / preRanks[j]!));
  const validatorTrust = clippedWeights.map((row) => row.reduce((a, b) => a + b, 0n));
  return {
    miners: [...miners],
    validators: accounts,
    weights,
    stake,
    consensus,
    clippedWeights,
    preRanks,
    ranks,
    incentive,
    trust,
    validatorTrust,
  };
}
