import { ValidationError } from "@flock/core";
import { flRoundOutcome } from "../flRound.ts";
import { distributeProRata } from "../proRata.ts";
import {
  type AmountLike,
  assertUnique,
  normalizeAccount,
  readAmount,
  readBps,
  readCount,
  readSignedInteger,
} from "../validate.ts";

type Account = `0x${string}`;

/** A decided round of a federated task: who proposed (with an update in the candidate) and who voted how. */
export interface EpochFlRoundInput {
  round: number | bigint;
  /** Proposers whose update made the round's candidate, with their frozen stake. */
  proposers: readonly { account: string; stake: AmountLike }[];
  /** Voters who revealed a valid vote (+1 / −1), with their frozen stake. */
  voters: readonly { account: string; stake: AmountLike; vote: bigint | number }[];
  /** Audit: the hash of the block that seeded the round's roles (no effect on the arithmetic). */
  seed?: string;
  /**
   * A `contribution` pay-rule round: each proposer's GTG-Shapley value (WAD), as the coordinator computed
   * it from the voters' revealed evaluations; the accepted round re-splits its proposers' part by them.
   */
  contributions?: readonly { account: string; valueWad: bigint }[];
}

/**
 * A federated task settled by the epoch (SPEC §2.2/§3): its participants' stake (its part of S_FL), the pool its
 * creator funded, the rounds it was to accept, the vote-rule slash fraction, and its decided rounds in order.
 */
export interface EpochFlTaskInput {
  id: string;
  /** Σ participants' frozen stake: the task's part of S_FL and its weight in the FL emission. */
  stake: AmountLike;
  /** FLOCK the creator funded on-chain (drawn in full by this epoch; what the rounds do not pay goes back). */
  pool?: AmountLike;
  creator?: string;
  /** Rounds the task was to accept. */
  rounds: number | bigint;
  slashFractionBps: number | bigint;
  playedRounds: readonly EpochFlRoundInput[];
}

export interface NormalizedFlTask {
  id: string;
  stake: bigint;
  pool: bigint;
  creator?: Account;
  rounds: bigint;
  slashFractionBps: bigint;
  playedRounds: {
    round: bigint;
    proposers: { account: Account; stake: bigint }[];
    voters: { account: Account; stake: bigint; vote: bigint }[];
    seed?: string;
    contributions?: { account: Account; valueWad: bigint }[];
  }[];
}

const byAccount = (a: { account: string }, b: { account: string }) =>
  a.account < b.account ? -1 : a.account > b.account ? 1 : 0;

/** Validate and normalize the FL tasks (sorted by id; rounds in order, each list sorted by account). */
export function readFlTasks(
  tasks: readonly EpochFlTaskInput[],
  arenaIds: ReadonlySet<string>,
): NormalizedFlTask[] {
  const out = tasks.map((t, i): NormalizedFlTask => {
    const name = `flTasks[${i}]`;
    if (typeof t.id !== "string" || t.id === "") {
      throw new ValidationError("ID_INVALID", `${name}.id is not a non-empty string`, {
        hint: "give every task an id",
      });
    }
    if (arenaIds.has(t.id)) {
      throw new ValidationError("DUPLICATE_TASK", `task ${t.id} is listed as an Arena task and an FL task`, {
        hint: "list each task once",
      });
    }
    const pool = readAmount(t.pool ?? 0n, `${name}.pool`);
    const creator = t.creator === undefined ? undefined : normalizeAccount(t.creator, `${name}.creator`);
    if (pool > 0n && creator === undefined) {
      throw new ValidationError("POOL_CREATOR_MISSING", `FL task ${t.id} has a funded pool but no creator`, {
        hint: "name the account that funded the pool: what the rounds do not pay goes back to it",
      });
    }
    let previous = -1n;
    const playedRounds = t.playedRounds.map((r, j) => {
      const round = readCount(r.round, `${name}.playedRounds[${j}].round`);
      if (round <= previous) {
        throw new ValidationError(
          "FL_ROUNDS_UNORDERED",
          `FL task ${t.id}'s rounds are not in increasing order`,
          {
            hint: "list a task's decided rounds in the order they were played",
          },
        );
      }
      previous = round;
      return {
        round,
        proposers: r.proposers
          .map((p, k) => ({
            account: normalizeAccount(p.account, `${name}.playedRounds[${j}].proposers[${k}].account`),
            stake: readAmount(p.stake, `${name}.playedRounds[${j}].proposers[${k}].stake`),
          }))
          .sort(byAccount),
        voters: r.voters
          .map((v, k) => ({
            account: normalizeAccount(v.account, `${name}.playedRounds[${j}].voters[${k}].account`),
            stake: readAmount(v.stake, `${name}.playedRounds[${j}].voters[${k}].stake`),
            vote: readSignedInteger(v.vote, `${name}.playedRounds[${j}].voters[${k}].vote`),
          }))
          .sort(byAccount),
        ...(r.seed === undefined ? {} : { seed: String(r.seed) }),
        ...(r.contributions === undefined
          ? {}
          : {
              contributions: r.contributions
                .map((c, k) => ({
                  account: normalizeAccount(
                    c.account,
                    `${name}.playedRounds[${j}].contributions[${k}].account`,
                  ),
                  valueWad: readSignedInteger(
                    c.valueWad,
                    `${name}.playedRounds[${j}].contributions[${k}].valueWad`,
                  ),
                }))
                .sort(byAccount),
            }),
      };
    });
    return {
      id: t.id,
      stake: readAmount(t.stake, `${name}.stake`),
      pool,
      ...(creator === undefined ? {} : { creator }),
      rounds: readCount(t.rounds, `${name}.rounds`),
      slashFractionBps: readBps(t.slashFractionBps, `${name}.slashFractionBps`),
      playedRounds,
    };
  });
  assertUnique(
    out.map((t) => t.id),
    "FL task id",
  );
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** One FL task's settlement, as the report shows it. */
export interface FlTaskSettlement {
  task: string;
  stake: bigint;
  /** Its share of E_FL (pro-rata stake over the epoch's FL tasks). */
  emission: bigint;
  pool: bigint;
  /** R = emission + pool: what its rounds pay from. */
  r: bigint;
  rounds: {
    round: bigint;
    accepted: boolean;
    tally: bigint;
    roundReward: bigint;
    rewards: { account: Account; amount: bigint }[];
  }[];
  /** What the rounds left unpaid (rounds never accepted, floor remainders). */
  left: bigint;
  /** The creator's part of it: floor(left · pool / R). */
  refund: bigint;
}

/** What the FL stage pays, for the caller's ledger. */
export interface FlPayouts {
  settlements: FlTaskSettlement[];
  pay: { account: Account; amount: bigint }[];
  refunds: { task: string; creator: Account; pool: bigint; refund: bigint }[];
  /** E_FL the split over FL tasks left (floor remainders), and what tasks left unpaid net of refunds. */
  dust: bigint;
  unallocated: bigint;
}

/**
 * SPEC §2.2/§3: E_FL (the FL share of the emission, split off by stake) goes to the epoch's FL tasks pro-rata
 * their participants' stake; each task's R = that share + its funded pool is paid round by round with FLock's
 * rule (`flRoundOutcome`: round reward = what is left / rounds left, to proposers and approving voters when
 * accepted, to rejecting voters when not, pro-rata stake). What the rounds leave is shared between the creator
 * (its pool's part) and the treasury. Vote-rule slashes were executed on-chain when each round ended (reported
 * as executed slashes), so they pay nothing here. A round of a `contribution` task carries its proposers' values
 * and `flRoundOutcome` re-splits their part by them. Σ pay + refunds + dust + unallocated = E_FL + Σ pools.
 */
export function settleFlTasks(tasks: readonly NormalizedFlTask[], emissionFl: bigint): FlPayouts {
  const split = distributeProRata(
    emissionFl,
    tasks.map((t) => t.stake),
  );
  const payouts: FlPayouts = { settlements: [], pay: [], refunds: [], dust: split.dust, unallocated: 0n };
  tasks.forEach((task, i) => {
    const emission = split.amounts[i]!;
    const r = emission + task.pool;
    let remaining = r;
    let roundsLeft = task.rounds;
    const rounds: FlTaskSettlement["rounds"] = [];
    for (const played of task.playedRounds) {
      if (roundsLeft === 0n || played.voters.length === 0) continue;
      const outcome = flRoundOutcome({
        proposers: played.proposers,
        voters: played.voters,
        remainingPool: remaining,
        roundsLeft,
        slashFractionBps: task.slashFractionBps,
        ...(played.contributions === undefined ? {} : { contributions: played.contributions }),
      });
      const rewards = outcome.rewards.map((x) => ({ account: x.account as Account, amount: x.amount }));
      for (const reward of rewards) payouts.pay.push(reward);
      rounds.push({
        round: played.round,
        accepted: outcome.accepted,
        tally: outcome.tally,
        roundReward: outcome.roundReward,
        rewards,
      });
      remaining = outcome.remainingPoolAfter;
      roundsLeft = outcome.roundsLeftAfter;
    }
    const refund = r === 0n || task.pool === 0n ? 0n : (remaining * task.pool) / r;
    payouts.unallocated += remaining - refund;
    if (task.pool > 0n) {
      payouts.refunds.push({ task: task.id, creator: task.creator!, pool: task.pool, refund });
    }
    payouts.settlements.push({
      task: task.id,
      stake: task.stake,
      emission,
      pool: task.pool,
      r,
      rounds,
      left: remaining,
      refund,
    });
  });
  return payouts;
}
