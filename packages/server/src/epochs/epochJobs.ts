import { type Epoch, UsageSettlementRepository } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { JOB_KINDS, jobInput, readJobPayload } from "../jobs/jobPayloads.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import { closeEpoch } from "./settleEpoch.ts";

/** Job kind: the network's current epoch closes (its period of the emission clock ended). */
export const EPOCH_CLOSE_JOB = JOB_KINDS.epochClose;

/**
 * A finalized task is ready to settle: it joins the network's current epoch, which closes at the end of its
 * period (SPEC §3: epochs are network-wide periods of the emission clock, `epochLengthMs` after the previous
 * epoch). With a zero period (a development network) the epoch closes now. Keyed by task, so asking twice is
 * harmless; the close settles every task ready by then, whoever asked.
 */
export async function requestEpochClose(ctx: AppContext, taskId: number): Promise<void> {
  if (ctx.config.epochLengthMs <= 0) {
    await closeEpoch(ctx);
    return;
  }
  const latest = await ctx.repos.epochs.latest();
  const now = ctx.clock.now().getTime();
  const periodEnd = latest === undefined ? now : latest.createdAt.getTime() + ctx.config.epochLengthMs;
  await ctx.repos.jobs.schedule(
    jobInput(EPOCH_CLOSE_JOB, {
      key: `epoch:close:task:${taskId}`,
      runAt: new Date(Math.max(now, periodEnd)),
      payload: { taskId },
    }),
  );
}

/**
 * SPEC §2.4: usage revenue settles every epoch period even when no task is ready. When the current period has
 * ended (`epochLengthMs` after the previous epoch; at once with a zero period) and some charged usage is still
 * uncollected, the epoch closes now for it. Returns the epoch, or null when nothing was due.
 */
export async function closeRevenueEpochIfDue(ctx: AppContext): Promise<Epoch | null> {
  const latest = await ctx.repos.epochs.latest();
  const now = ctx.clock.now();
  if (latest !== undefined && now.getTime() < latest.createdAt.getTime() + ctx.config.epochLengthMs)
    return null;
  if ((await new UsageSettlementRepository(ctx.db).uncollected(now)).total === 0n) return null;
  return closeEpoch(ctx);
}

export function epochJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [EPOCH_CLOSE_JOB]: async (job) => {
      // The task that asked is only for the log; the close settles every task ready by now.
      readJobPayload(job, EPOCH_CLOSE_JOB);
      await closeEpoch(ctx);
    },
  };
}
