import { type Job, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { openDisputesForTask } from "../disputes/openDispute.ts";
import { requestEpochClose } from "../epochs/epochJobs.ts";
import { nextSettlementAttempt, slashJobsInFlight } from "../epochs/slashJobsInFlight.ts";
import { JOB_KINDS, jobInput, readJobPayload } from "../jobs/jobPayloads.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import { assignSubmission, taskSeed } from "../validation/assignSubmission.ts";
import { failedDutyOf, SLASH_FAILED_DUTY_JOB } from "../validation/slashFailedDuty.ts";

/** Job kinds of the task lifecycle. */
export const TASK_JOBS = {
  closeSubmissions: JOB_KINDS.closeSubmissions,
  finalize: JOB_KINDS.finalize,
  /** Settle once the task's slash jobs are done (scheduled by finalize when some are still in flight). */
  settle: JOB_KINDS.settle,
} as const;

/** Schedule a task's deadline transitions (keyed, so scheduling twice is harmless). */
export async function scheduleTaskDeadlines(
  repos: AppContext["repos"],
  task: { id: number; submissionDeadline: Date; endTime: Date },
  revealWindowMs: number,
): Promise<void> {
  await repos.jobs.schedule(
    jobInput(TASK_JOBS.closeSubmissions, {
      key: `task:${task.id}:closeSubmissions`,
      runAt: task.submissionDeadline,
      payload: { taskId: task.id },
    }),
  );
  await repos.jobs.schedule(
    jobInput(TASK_JOBS.finalize, {
      key: `task:${task.id}:finalize`,
      // Validators reveal their committed scores after the end; the task is finalized when that window closes.
      runAt: new Date(task.endTime.getTime() + revealWindowMs),
      payload: { taskId: task.id },
    }),
  );
}

/**
 * SPEC §2.1 lifecycle on deadlines: at the submission deadline open → validating and every accepted
 * submission is assigned to validators, who commit to their scores until the end and reveal them in the
 * reveal window after it; when the window closes validating → finalized, commits whose artifact never came
 * are rejected, committed scores never revealed and assignments never committed (nor refused) are failed duties,
 * each slashed by its own job, scores off consensus are disputed, and — once the task's copy slashes, failed-duty
 * slashes and disputes are done, so the report lists every slash they executed — the task's epoch is computed, stored and posted
 * on-chain, and the task is closed (on-chain too). Each handler is idempotent (a job re-run after a crash
 * finds the work done).
 */
export function taskJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  async function closeSubmissions(taskId: number) {
    // The seed is read from the chain before the transaction: no network calls while it holds the database.
    const seed = await taskSeed(ctx, taskId);
    await withTransaction(ctx.db, async (tx) => {
      const task = await tx.tasks.get(taskId);
      if (task.status === "open") {
        await tx.tasks.transition(taskId, "validating");
        await tx.events.append("task.status", { taskId, from: "open", to: "validating" });
      }
      if (task.status !== "open" && task.status !== "validating") return;
      const accepted = await tx.submissions.listAll({ taskId, status: "accepted" });
      for (const submission of accepted) await assignSubmission(ctx, tx, submission, seed);
    });
  }
  async function finalize(taskId: number) {
    await withTransaction(ctx.db, async (tx) => {
      const task = await tx.tasks.get(taskId);
      if (task.status !== "validating") return;
      const neverUploaded = await tx.submissions.listAll({ taskId, status: "committed" });
      for (const submission of neverUploaded) {
        await tx.submissions.reject(
          submission.id,
          "no artifact was uploaded for the commit before the task ended",
        );
      }
      // SPEC §2.1: a committed score not revealed in the window is a failed duty (no score, no work credit).
      for (const assignment of await tx.assignments.listForTask(taskId, { status: "committed" })) {
        await tx.assignments.markUnrevealed(assignment.id);
        await tx.events.append("assignment.unrevealed", {
          taskId,
          submissionId: assignment.submissionId,
          assignmentId: assignment.id,
          validator: assignment.validator,
        });
      }
      // SPEC §3: failed duties are slashable; each one (a commitment not revealed, an assignment neither
      // committed nor refused) gets a slash job, which settlement waits for.
      for (const assignment of await tx.assignments.listForTask(taskId)) {
        if (failedDutyOf(assignment) === null) continue;
        await tx.jobs.schedule(
          jobInput(SLASH_FAILED_DUTY_JOB, {
            key: `assignment:${assignment.id}:slashFailedDuty`,
            runAt: ctx.clock.now(),
            payload: { assignmentId: assignment.id },
          }),
        );
      }
      await tx.tasks.transition(taskId, "finalized");
      await tx.events.append("task.status", { taskId, from: "validating", to: "finalized" });
    });
  }
  // Settle now, or — while a copy slash or a dispute of the task is in flight — in a new keyed settle job due
  // when they can all have run: the scheduler claims jobs by (runAt, id), so they run before it.
  async function settleAfterSlashes(job: Job, taskId: number, round: number) {
    const task = await ctx.repos.tasks.get(taskId);
    if (task.status !== "finalized") return;
    const [recorded] = await ctx.repos.epochs.list({ taskId });
    const inFlight = recorded === undefined ? await slashJobsInFlight(ctx, taskId) : [];
    if (inFlight.length > 0) {
      await ctx.repos.jobs.schedule(
        jobInput(TASK_JOBS.settle, {
          key: `task:${taskId}:settle:${round + 1}`,
          runAt: nextSettlementAttempt(ctx, inFlight, job),
          payload: { taskId, round: round + 1 },
        }),
      );
      return;
    }
    // SPEC §3: the task joins the network's current epoch, which settles every ready task together.
    await requestEpochClose(ctx, taskId);
  }
  return {
    [TASK_JOBS.closeSubmissions]: (job) =>
      closeSubmissions(readJobPayload(job, TASK_JOBS.closeSubmissions).taskId),
    [TASK_JOBS.finalize]: async (job) => {
      const { taskId } = readJobPayload(job, TASK_JOBS.finalize);
      // A task whose deadline job has not run yet (both due at once after downtime) closes first.
      await closeSubmissions(taskId);
      await finalize(taskId);
      // Scores off consensus are disputed (re-run by the referee job) while stakes are still locked.
      await openDisputesForTask(ctx, taskId);
      await settleAfterSlashes(job, taskId, 0);
    },
    [TASK_JOBS.settle]: async (job) => {
      const { taskId, round } = readJobPayload(job, TASK_JOBS.settle);
      await settleAfterSlashes(job, taskId, round);
    },
  };
}
