import { ConflictError, NotFoundError, type wire } from "@flock/core";
import type { Job } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { DISPUTE_JOB, findDecision, readDisputePayload } from "./disputeRecords.ts";
import { openDispute, submissionConsensus } from "./openDispute.ts";

/**
 * Refereed disputes asked for by a participant (SPEC §2.1): anyone may ask for a re-run of a finalized task's
 * score or refusal; the asker is the dispute's `requestedBy` and, when the re-run proves the score dishonest,
 * its prover (SPEC §3: 10% of the slash to whoever proved it). A pair already disputed returns that dispute
 * (and keeps its prover). Returns the dispute's job.
 */
export async function requestDispute(
  ctx: AppContext,
  requestedBy: string,
  request: wire.DisputeRequest,
): Promise<Job> {
  const validator = request.validator.toLowerCase();
  const submission = await ctx.repos.submissions.get(request.submissionId);
  const task = await ctx.repos.tasks.get(submission.taskId);
  if (task.status !== "finalized" && task.status !== "closed") {
    throw new ConflictError("DISPUTE_TOO_EARLY", `task ${task.id} is ${task.status}`, {
      hint: "scores are disputed once the task is finalized (the hidden set is then public to re-run)",
      details: { taskId: task.id, status: task.status },
    });
  }
  const { scores, consensus } = await submissionConsensus(ctx, task.id, submission.id);
  const refused = (await ctx.repos.assignments.listForSubmission(submission.id)).some(
    (a) => a.validator === validator && a.status === "refused",
  );
  const scored = scores.some((s) => s.validator === validator) && consensus !== undefined;
  if (!scored && !refused) {
    throw new NotFoundError(
      "SCORE_NOT_FOUND",
      `${validator} neither scored nor refused submission ${submission.id}`,
      {
        hint: "dispute a score a validator revealed, or a refusal: see the task's epoch report and events",
        details: { submissionId: submission.id, validator },
      },
    );
  }
  return openDispute(ctx, {
    taskId: task.id,
    submissionId: submission.id,
    validator,
    consensus: consensus ?? null,
    toleranceScore: ctx.config.disputeToleranceScore,
    requestedBy,
  });
}

/** A dispute's job by id (`DISPUTE_NOT_FOUND` for no job, or a job of another kind). */
export async function getDisputeJob(ctx: AppContext, id: number): Promise<Job> {
  const notFound = () =>
    new NotFoundError("DISPUTE_NOT_FOUND", `dispute ${id} does not exist`, {
      hint: "use the id POST /disputes returned, or one from a dispute.opened event",
      details: { disputeId: id },
    });
  let job: Job;
  try {
    job = await ctx.repos.jobs.get(id);
  } catch (error) {
    if (error instanceof NotFoundError) throw notFound();
    throw error;
  }
  if (job.kind !== DISPUTE_JOB) throw notFound();
  return job;
}

/** A dispute as served: its job's payload and state, plus the outcome from its `dispute.decided` event. */
export async function disputeView(ctx: AppContext, job: Job) {
  const dispute = readDisputePayload(job);
  const decision = await findDecision(ctx.repos, job.id);
  const outcome = decision?.payload ?? {};
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  return {
    id: job.id,
    taskId: dispute.taskId,
    submissionId: dispute.submissionId,
    validator: dispute.validator,
    requestedBy: dispute.requestedBy,
    consensus: dispute.consensus?.toString() ?? null,
    toleranceScore: dispute.toleranceScore.toString(),
    // The job appends its decision before it completes, so a job without one is pending, running or failed.
    status: decision !== undefined ? "decided" : job.status === "done" ? "pending" : job.status,
    verdict: text(outcome.verdict),
    reason: text(outcome.reason),
    reportedScore: text(outcome.reportedScore),
    rerunScore: text(outcome.rerunScore),
    evidenceId: text(outcome.evidenceId),
    slashed: text(outcome.slashed),
    prover: text(outcome.prover),
    error: decision === undefined ? job.lastError : null,
  };
}
