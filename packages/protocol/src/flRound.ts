import { ProtocolError, ValidationError } from "@flock/core";
import { distributeProRata } from "./proRata.ts";
import { type Slash, slash } from "./slashing.ts";
import {
  assertUnique,
  normalizeAccount,
  readAmount,
  readBps,
  readCount,
  readSignedInteger,
} from "./validate.ts";

/** A proposer of an FL round: trains locally and uploads an update. */
export interface FlProposer {
  account: string;
  stake: bigint;
}

/** A voter of an FL round: its vote is signed (+1 / −1, or a signed weight such as a loss delta). */
export interface FlVoter {
  account: string;
  stake: bigint;
  vote: bigint;
}

/** Everything the FL outcome rule needs for one round. */
export interface FlRoundInputs {
  proposers: readonly FlProposer[];
  voters: readonly FlVoter[];
  /** Reward left in the task's pool before this round. */
  remainingPool: bigint;
  /** Rounds still to be completed, this one included (≥ 1). */
  roundsLeft: number | bigint;
  /** Fraction of stake slashed from those on the wrong side, in bps. */
  slashFractionBps: bigint | number;
  /**
   * The `contribution` pay rule: each proposer's value in the round (GTG-Shapley from the voters'
   * evaluations, WAD = one unit of the metric). Absent: the stake rule. A proposer not listed has value 0.
   */
  contributions?: readonly FlRoundContribution[];
}

/** A proposer's contribution value in one round (WAD: 1e18 = one unit of the voters' metric). */
export interface FlRoundContribution {
  account: string;
  valueWad: bigint;
}

/** The outcome of one FL round. */
export interface FlRoundOutcome {
  accepted: boolean;
  /** Σ stake_i · vote_i over the voters. */
  tally: bigint;
  roundReward: bigint;
  rewards: { account: string; amount: bigint }[];
  slashes: ({ account: string } & Slash)[];
  /** Round reward that no one received (floor remainder or nobody eligible); it stays in the pool. */
  dust: bigint;
  remainingPoolAfter: bigint;
  /** Accepted rounds count down; a redone round is played again. */
  roundsLeftAfter: bigint;
}

/**
 * SPEC §2.2 [FLock]: tally = Σ stake · vote.
 *  tally ≥ 0 → accepted: proposers and voters with vote ≥ 0 are rewarded, voters with vote < 0 slashed.
 *  tally < 0 → redo from the last accepted model: voters with vote < 0 are rewarded, proposers and
 *              voters with vote ≥ 0 slashed.
 * Round reward = floor(remaining pool / rounds left), paid pro-rata by stake among the rewarded; the
 * floor remainder stays in the pool, so rewards + dust == round reward and nothing is created.
 * With `contributions` (the `contribution` pay rule), an accepted round pays its proposers together what the
 * stake rule gives them, P = Σ_proposers floor(R · stake_i / Σ stake), re-split by value:
 *   amount_i = floor(P · max(v_i, 0) / Σ_j max(v_j, 0)),
 * or by stake as above when no value is positive; voters and slashes are the stake rule's, and the re-split's
 * floor remainder joins the dust.
 */
export function flRoundOutcome(inputs: FlRoundInputs): FlRoundOutcome {
  const proposers = inputs.proposers.map((p, i) => ({
    account: normalizeAccount(p.account, `proposers[${i}].account`),
    stake: readAmount(p.stake, `proposers[${i}].stake`),
  }));
  const voters = inputs.voters.map((v, i) => ({
    account: normalizeAccount(v.account, `voters[${i}].account`),
    stake: readAmount(v.stake, `voters[${i}].stake`),
    vote: readSignedInteger(v.vote, `voters[${i}].vote`),
  }));
  assertUnique([...proposers, ...voters].map((p) => p.account).sort(), "FL round participant");
  const values = readContributions(inputs.contributions);
  if (voters.length === 0) {
    throw new ProtocolError("EMPTY_VOTER_SET", "an FL round needs at least one voter", {
      hint: "split the round's participants into proposers and at least one voter",
    });
  }
  const pool = readAmount(inputs.remainingPool, "remainingPool");
  const roundsLeft = readCount(inputs.roundsLeft, "roundsLeft");
  if (roundsLeft === 0n) {
    throw new ValidationError("NO_ROUNDS_LEFT", "roundsLeft is 0: the task has no round to play", {
      hint: "stop the task after its last round instead of computing another outcome",
    });
  }
  const fraction = readBps(inputs.slashFractionBps, "slashFractionBps");

  const tally = voters.reduce((sum, v) => sum + v.stake * v.vote, 0n);
  const accepted = tally >= 0n;
  const approving = voters.filter((v) => v.vote >= 0n);
  const rejecting = voters.filter((v) => v.vote < 0n);
  const rewarded = accepted ? [...proposers, ...approving] : rejecting;
  const slashed = accepted ? rejecting : [...proposers, ...approving];

  const roundReward = pool / roundsLeft;
  const split = distributeProRata(
    roundReward,
    rewarded.map((p) => p.stake),
  );
  const rewards = rewarded.map((p, i) => ({ account: p.account, amount: split.amounts[i]! }));
  let dust = split.dust;
  if (accepted && values !== undefined) dust += splitByValue(rewards.slice(0, proposers.length), values);
  const slashes = slashed.map((p) => ({ account: p.account, ...slash(p.stake, fraction) }));
  const paid = roundReward - dust;
  return {
    accepted,
    tally,
    roundReward,
    rewards: rewards.sort(byAccount),
    slashes: slashes.sort(byAccount),
    dust,
    remainingPoolAfter: pool - paid,
    roundsLeftAfter: accepted ? roundsLeft - 1n : roundsLeft,
  };
}

/**
 * Re-split the proposers' stake-rule rewards (in place) by their positive contribution values:
 * P = Σ amounts, amount_i = floor(P · max(v_i, 0) / Σ max(v_j, 0)); returns the floor remainder. No positive
 * value: the amounts stay as the stake rule gave them.
 */
function splitByValue(
  proposerRewards: { account: string; amount: bigint }[],
  values: ReadonlyMap<string, bigint>,
): bigint {
  const weights = proposerRewards.map((r) => {
    const v = values.get(r.account) ?? 0n;
    return v > 0n ? v : 0n;
  });
  if (weights.every((w) => w === 0n)) return 0n;
  const part = proposerRewards.reduce((sum, r) => sum + r.amount, 0n);
  const split = distributeProRata(part, weights);
  proposerRewards.forEach((r, i) => {
    r.amount = split.amounts[i]!;
  });
  return split.dust;
}

function readContributions(
  contributions: readonly FlRoundContribution[] | undefined,
): Map<string, bigint> | undefined {
  if (contributions === undefined) return undefined;
  const entries = contributions.map((c, i) => ({
    account: normalizeAccount(c.account, `contributions[${i}].account`),
    valueWad: readSignedInteger(c.valueWad, `contributions[${i}].valueWad`),
  }));
  assertUnique(entries.map((e) => e.account).sort(), "FL contribution");
  return new Map(entries.map((e) => [e.account, e.valueWad]));
}

function byAccount(a: { account: string }, b: { account: string }): number {
  return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
}
