import type { Job } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { DISPUTE_JOB } from "../disputes/disputeRecords.ts";
import { JOB_KINDS } from "../jobs/jobPayloads.ts";
import { SLASH_COPY_JOB } from "../submissions/slashCopy.ts";
import { SLASH_FAILED_DUTY_JOB } from "../validation/slashFailedDuty.ts";

/**
 * The task's jobs that may still slash a stake: copy slashes (scheduled at upload), failed-duty slashes
 * (scheduled at finalization) and disputes (opened at finalization or by `POST /disputes`) that are pending or running. Settlement waits for them, so every slash
 * proven before the report is computed is listed in it (SPEC §3: the report holds every output).
 */
export async function slashJobsInFlight(ctx: AppContext, taskId: number): Promise<Job[]> {
  const inFlight: Job[] = [];
  for (const status of ["pending", "running"] as const) {
    for (const job of await ctx.repos.jobs.list({ status, kind: DISPUTE_JOB })) {
      if (job.payload.taskId === taskId) inFlight.push(job);
    }
    // An FL round's vote-rule and failed-duty slashes (SPEC §2.2).
    for (const job of await ctx.repos.jobs.list({ status, kind: JOB_KINDS.flSlash })) {
      if (job.payload.taskId === taskId) inFlight.push(job);
    }
    for (const job of await ctx.repos.jobs.list({ status, kind: SLASH_COPY_JOB })) {
      const submissionId = job.payload.submissionId;
      if (typeof submissionId !== "number") continue;
      if ((await ctx.repos.submissions.get(submissionId)).taskId === taskId) inFlight.push(job);
    }
    for (const job of await ctx.repos.jobs.list({ status, kind: SLASH_FAILED_DUTY_JOB })) {
      const assignmentId = job.payload.assignmentId;
      if (typeof assignmentId !== "number") continue;
      const { submissionId } = await ctx.repos.assignments.get(assignmentId);
      if ((await ctx.repos.submissions.get(submissionId)).taskId === taskId) inFlight.push(job);
    }
  }
  return inFlight.sort((a, b) => a.id - b.id);
}

/**
 * When to look again: once every job in flight can have run. A pending job runs at its `runAt` (a retry's
 * backoff included). A running one claimed in the same batch as `current` (same lease) runs right after it
 * in this worker, so now; one held by another worker, one scheduler poll later.
 */
export function nextSettlementAttempt(ctx: AppContext, inFlight: readonly Job[], current: Job): Date {
  const now = ctx.clock.now().getTime();
  const sameBatch = (job: Job) =>
    job.lockedUntil !== null && job.lockedUntil.getTime() === current.lockedUntil?.getTime();
  let at = now;
  for (const job of inFlight) {
    const ready =
      job.status === "pending"
        ? job.runAt.getTime()
        : sameBatch(job)
          ? now
          : now + ctx.config.schedulerPollMs;
    if (ready > at) at = ready;
  }
  return new Date(at);
}
