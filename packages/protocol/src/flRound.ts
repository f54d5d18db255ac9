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
  const slashes = slashed.map((p) => ({ account: p.account, ...slash(p.stake, fraction) }));
  const paid = roundReward - split.dust;
  return {
    accepted,
    tally,
    roundReward,
    rewards: rewards.sort(byAccount),
    slashes: slashes.sort(byAccount),
    dust: split.dust,
    remainingPoolAfter: pool - paid,
    roundsLeftAfter: accepted ? roundsLeft - 1n : roundsLeft,
  };
}

function byAccount(a: { account: string }, b: { account: string }): number {
  return a.account < b.account ? -1 : a.account > b.account ? 1 : 0;
}
