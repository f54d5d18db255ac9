import type { EpochFlTaskInput } from "@flock/protocol";
import type { Task } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { roundParticipants } from "../fl/roundParticipants.ts";

/**
 * A finished federated task's part of an epoch (SPEC §2.2/§3): its participants' frozen stake — its weight in
 * the FL share of the emission, counted only when an operator approved an emission weight for it (a task paid
 * from emission is approved by the operator role; any other is paid by its own pool) — its on-chain pool, and
 * its decided rounds with the proposers whose update made each candidate, the votes revealed and, under the
 * `contribution` pay rule, the proposers' values.
 */
export async function flEpochTask(ctx: AppContext, task: Task): Promise<EpochFlTaskInput> {
  const terms = await ctx.repos.fl.getTerms(task.id);
  const funding = await ctx.repos.funding.find(task.id);
  const approved = (funding?.approvedWeight ?? 0n) > 0n;
  const stake = (await roundParticipants(ctx, task.id)).reduce((sum, p) => sum + p.stake, 0n);
  const pool = funding === undefined ? 0n : await ctx.chain.taskPool(task.id);
  const rounds = (await ctx.repos.fl.listRounds(task.id)).filter(
    (r) => r.status === "accepted" || r.status === "rejected",
  );
  return {
    id: String(task.id),
    stake: approved ? stake : 0n,
    pool,
    ...(pool > 0n ? { creator: task.creator } : {}),
    rounds: terms.rounds,
    slashFractionBps: ctx.config.flVoteSlashBps,
    playedRounds: rounds.map((r) => ({
      round: r.round,
      proposers: r.proposers.filter((p) => r.contributors.includes(p.account)),
      voters: r.voters
        .filter((v) => v.vote !== null)
        .map((v) => ({ account: v.account, stake: v.stake, vote: BigInt(v.vote!) })),
      ...(r.seed === null ? {} : { seed: r.seed }),
      ...(r.contributions === null ? {} : { contributions: r.contributions }),
    })),
  };
}
