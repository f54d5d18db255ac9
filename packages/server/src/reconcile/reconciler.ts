import type { AppContext } from "../deps.ts";
import { JOB_KINDS, jobInput, readJobPayload } from "../jobs/jobPayloads.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import { type ReconcileReport, reconcileWithChain } from "./reconcileWithChain.ts";

/** Job kind: compare the store with the chain and repair or report the differences. */
export const RECONCILE_JOB = JOB_KINDS.reconcile;

/**
 * The reconciler runs as a job, so the scheduler serializes it with the jobs whose work it checks (no pass runs
 * between an epoch's record and its post in this process) and retries it through a chain or database outage.
 * It is scheduled when the coordinator starts and then on a timer; the last report is kept for `GET /health`.
 */
export interface Reconciler {
  handlers: Record<string, JobHandler>;
  /** Schedule a pass now, unless one is already waiting. */
  request(reason: "start" | "timer"): Promise<void>;
  lastReport(): ReconcileReport | undefined;
}

export function createReconciler(ctx: AppContext): Reconciler {
  const startedAt = ctx.clock.now();
  const draftsSeenRegistered = new Set<number>();
  let last: ReconcileReport | undefined;
  return {
    handlers: {
      [RECONCILE_JOB]: async (job) => {
        readJobPayload(job, RECONCILE_JOB);
        last = await reconcileWithChain(ctx, { draftsSeenRegistered, startedAt });
        for (const difference of last.differences) {
          const log = difference.repaired ? ctx.logger.warn : ctx.logger.error;
          log.call(ctx.logger, { ...difference }, `chain reconcile: ${difference.message}`);
        }
      },
    },
    async request(reason) {
      const waiting = await ctx.repos.jobs.list({ status: "pending", kind: RECONCILE_JOB });
      if (waiting.length > 0) return;
      const now = ctx.clock.now();
      // Passes are routine: the last hour's are kept, older ones deleted rather than piling up.
      await ctx.repos.jobs.pruneDone(RECONCILE_JOB, new Date(now.getTime() - 3_600_000));
      await ctx.repos.jobs.schedule(
        jobInput(RECONCILE_JOB, { key: `reconcile:${reason}:${now.getTime()}`, runAt: now, payload: {} }),
      );
    },
    lastReport: () => last,
  };
}
