import { votedContributions } from "@flock/fl";
import { flRoundOutcome } from "@flock/protocol";
import { type FlRoundRecord, type FlTerms, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { JOB_KINDS, jobInput } from "../jobs/jobPayloads.ts";
import { registerTaskModel } from "../models/registerModel.ts";
import type { RevealedVote, RoundStep } from "./roundTypes.ts";

/** How many rounds a task may play in all (accepted and redone) before it finishes anyway. */
export function maxRoundsPlayed(terms: Pick<FlTerms, "rounds">): number {
  return terms.rounds * 3;
}

/** A slash of an FL round, with why (the evidence published with it). */
interface RoundSlash {
  account: string;
  amount: bigint;
  fractionBps: number;
  rule: "vote" | "failed-duty";
}

/**
 * The end of a round whose vote was revealed (SPEC §2.2 [FLock]), through `protocol`'s `flRoundOutcome`: the
 * tally Σ stake · vote over the revealed votes decides; accepted → the candidate becomes the global model,
 * proposers and voters who voted ≥ 0 share the round reward pro-rata stake, voters who voted < 0 are slashed;
 * rejected → the round is redone from the last accepted model, voters who voted < 0 are rewarded, the
 * proposers and the others slashed. Round reward = remaining pool / rounds left. The proposers of the rule are
 * those whose update is in the candidate; one a robust strategy left out is neither paid nor slashed (it cannot
 * be proven to have lied). Besides the vote rule, a proposer that sent no usable update and a voter that did
 * not commit and reveal failed a duty (SPEC §3):
 * slashed `failedDutySlashBps`, paid nothing, counted as a missed round. Slashes are executed on-chain by
 * their own jobs; rewards are paid through the network's epochs. Under the `contribution` pay rule the
 * proposers' part of an accepted round is re-split by their GTG-Shapley values, computed here from the voters'
 * revealed evaluations (fl's `votedContributions`) and stored with the round, so the epoch and the audit pay by them.
 */
export async function endRound(
  ctx: AppContext,
  terms: FlTerms,
  round: FlRoundRecord,
  reveals: readonly RevealedVote[],
): Promise<RoundStep> {
  const revealedOf = new Map(reveals.map((r) => [r.account, r]));
  const contributed = new Set(round.contributors);
  const proposers = round.proposers.filter((p) => contributed.has(p.account));
  const voters = round.voters
    .filter((v) => revealedOf.has(v.account))
    .map((v) => ({ account: v.account, stake: v.stake, vote: BigInt(revealedOf.get(v.account)!.vote) }));
  const updated = new Set(round.updaters);
  const failedDuty = [
    ...round.proposers.filter((p) => !updated.has(p.account)),
    ...round.voters.filter((v) => !revealedOf.has(v.account)),
  ];
  if (voters.length === 0) return failRound(ctx, terms, round, "no voter revealed a valid vote");
  // The contribution pay rule: the proposers' GTG-Shapley values from the revealed evaluations (coalitions.ts).
  const contributions =
    round.coalitions.length === 0
      ? null
      : await votedContributions(
          round,
          round.voters
            .filter((v) => revealedOf.get(v.account)?.evaluations !== undefined)
            .map((v) => ({ stake: v.stake, evaluations: revealedOf.get(v.account)!.evaluations! })),
        );
  const outcome = flRoundOutcome({
    proposers,
    voters,
    remainingPool: terms.remainingPool,
    roundsLeft: terms.rounds - terms.acceptedRounds,
    slashFractionBps: ctx.config.flVoteSlashBps,
    ...(contributions === null ? {} : { contributions }),
  });
  const slashes: RoundSlash[] = [
    ...outcome.slashes.map((s) => ({
      account: s.account,
      amount: s.slashed,
      fractionBps: ctx.config.flVoteSlashBps,
      rule: "vote" as const,
    })),
    ...failedDuty.map((p) => ({
      account: p.account,
      amount: (p.stake * BigInt(ctx.config.failedDutySlashBps)) / 10_000n,
      fractionBps: ctx.config.failedDutySlashBps,
      rule: "failed-duty" as const,
    })),
  ];
  const now = ctx.clock.now();
  const accepted = outcome.accepted;
  await withTransaction(ctx.db, async (tx) => {
    await tx.fl.updateRound(
      terms.taskId,
      round.round,
      {
        status: accepted ? "accepted" : "rejected",
        tally: outcome.tally,
        voters: round.voters.map((v) => {
          const r = revealedOf.get(v.account);
          if (r === undefined) return { ...v, vote: null };
          return {
            ...v,
            vote: r.vote,
            metrics: r.metrics,
            ...(r.evaluations === undefined ? {} : { evaluations: r.evaluations }),
          };
        }),
        rewards: outcome.rewards,
        ...(contributions === null ? {} : { contributions }),
        slashes: slashes.map((s) => ({ account: s.account, amount: s.amount, fractionBps: s.fractionBps })),
        remainingPoolAfter: outcome.remainingPoolAfter,
        endedAt: now,
        reason: accepted ? null : "the stake-weighted vote rejected the candidate",
      },
      ["revealing"],
    );
    await tx.fl.addMissed(
      terms.taskId,
      failedDuty.map((p) => p.account),
    );
    for (const s of slashes) {
      if (s.amount === 0n) continue;
      await tx.jobs.schedule(
        jobInput(JOB_KINDS.flSlash, {
          key: `fl:${terms.taskId}:r${round.round}:slash:${s.account}`,
          runAt: now,
          payload: { taskId: terms.taskId, round: round.round, account: s.account },
        }),
      );
    }
    await tx.events.append("fl.round.ended", {
      taskId: terms.taskId,
      round: round.round,
      accepted,
      tally: outcome.tally.toString(),
      rewarded: outcome.rewards.length,
      slashed: slashes.length,
    });
  });
  return nextRound(ctx, terms, round, {
    acceptedRounds: terms.acceptedRounds + (accepted ? 1 : 0),
    remainingPool: outcome.remainingPoolAfter,
    ...(accepted ? { globalModel: round.candidateModel! } : {}),
  });
}

/**
 * A round that could not be decided (no usable update, no vote, too few participants with stake): nobody is paid;
 * proposers without an update and voters without a vote failed a duty only when the round reached them.
 */
export async function failRound(
  ctx: AppContext,
  terms: FlTerms,
  round: FlRoundRecord,
  reason: string,
): Promise<RoundStep> {
  const now = ctx.clock.now();
  const updated = new Set(round.updaters);
  // Proposers who sent nothing missed the round; voters only if a candidate reached them.
  const missed = [
    ...round.proposers.filter((p) => !updated.has(p.account)).map((p) => p.account),
    ...(round.candidateModel === null ? [] : round.voters.map((v) => v.account)),
  ];
  await withTransaction(ctx.db, async (tx) => {
    const current = await tx.fl.getRound(terms.taskId, round.round);
    if (current.status === "failed" && current.endedAt !== null) return;
    await tx.fl.updateRound(terms.taskId, round.round, { status: "failed", reason, endedAt: now });
    await tx.fl.addMissed(terms.taskId, missed);
    await tx.events.append("fl.round.failed", { taskId: terms.taskId, round: round.round, reason });
  });
  if (round.proposers.length === 0) {
    // Nobody can play: the task finishes with the rounds it has.
    return finishTask(ctx, terms.taskId, reason);
  }
  return nextRound(ctx, terms, round, {});
}

/** Record the task's progress after a round and schedule the next one, or finish the task. */
async function nextRound(
  ctx: AppContext,
  terms: FlTerms,
  round: FlRoundRecord,
  progress: { acceptedRounds?: number; remainingPool?: bigint; globalModel?: string },
): Promise<RoundStep> {
  const next = round.round + 1;
  const updated = await ctx.repos.fl.setProgress(terms.taskId, { ...progress, currentRound: next });
  if (updated.acceptedRounds >= terms.rounds)
    return finishTask(ctx, terms.taskId, "every round was accepted");
  if (round.round >= maxRoundsPlayed(terms)) {
    return finishTask(ctx, terms.taskId, `${round.round} rounds played without ${terms.rounds} accepted`);
  }
  await ctx.repos.jobs.schedule(
    jobInput(JOB_KINDS.flRound, {
      key: `fl:${terms.taskId}:r${next}:t0`,
      runAt: ctx.clock.now(),
      payload: { taskId: terms.taskId, round: next, tick: 0 },
    }),
  );
  return null;
}

/**
 * running → finished (the task's `finalized`); the task's settle job then waits for its slash jobs and asks for
 * the network's next epoch, which settles it (as an Arena task is settled).
 */
export async function finishTask(ctx: AppContext, taskId: number, reason: string): Promise<RoundStep> {
  await withTransaction(ctx.db, async (tx) => {
    const task = await tx.tasks.get(taskId);
    if (task.status === "open") {
      await tx.tasks.transition(taskId, "validating");
    }
    if (task.status === "open" || task.status === "validating") {
      await tx.tasks.transition(taskId, "finalized");
      await tx.events.append("fl.task.finished", { taskId, reason });
      await tx.jobs.schedule(
        jobInput(JOB_KINDS.settle, {
          key: `task:${taskId}:settle:0`,
          runAt: ctx.clock.now(),
          payload: { taskId, round: 0 },
        }),
      );
    }
  });
  await registerTaskModel(ctx, taskId);
  return null;
}
