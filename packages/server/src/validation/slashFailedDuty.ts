import type { Assignment } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { JOB_KINDS, readJobPayload } from "../jobs/jobPayloads.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import { slashWithEvidence } from "../slashes/slashWithEvidence.ts";
import { revealWindowCloses } from "./scoreWindows.ts";

/** Job kind: slash the validator of an assignment whose duty failed. */
export const SLASH_FAILED_DUTY_JOB = JOB_KINDS.slashFailedDuty;

/** The duty a validator failed on an assignment: to commit to a score, or to reveal the committed one. */
export type FailedDuty = "commit" | "reveal";

/**
 * The failed duty of an assignment of a finalized task (SPEC §2.1/§3), or null when it did its duty. A committed
 * score not revealed in the window (`unrevealed`) failed the reveal; an assignment neither committed to nor
 * refused before commitments closed (`timed_out`, or still `open` when the task ended) failed the commitment. A
 * refusal is not a failed duty (the submission was handed to another validator), nor is a revealed score.
 */
export function failedDutyOf(assignment: Pick<Assignment, "status">): FailedDuty | null {
  switch (assignment.status) {
    case "unrevealed":
      return "reveal";
    case "timed_out":
    case "open":
      return "commit";
    default:
      return null;
  }
}

/**
 * SPEC §3: failed duties are slashable. At finalization each failed duty of the task gets this job, which slashes
 * `failedDutySlashBps` of the validator's stake on the task (the chain takes the fraction of the stake frozen on
 * it). As for a copied submission (`slashCopy.ts`), the evidence — the task, the assignment, the validator, the
 * duty and its deadlines — is published in the artifact store as canonical JSON and its sha256 is the on-chain
 * evidence hash, so a retried job slashes once; the coordinator found the fault, so the prover share goes to the
 * treasury and the store records no prover. The slash is listed in the task's epoch report (settlement waits for
 * this job).
 */
export function slashFailedDutyHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [SLASH_FAILED_DUTY_JOB]: async (job) => {
      const { assignmentId } = readJobPayload(job, SLASH_FAILED_DUTY_JOB);
      const assignment = await ctx.repos.assignments.get(assignmentId);
      const duty = failedDutyOf(assignment);
      if (duty === null) return;
      const submission = await ctx.repos.submissions.get(assignment.submissionId);
      const task = await ctx.repos.tasks.get(submission.taskId);
      if (task.status !== "finalized" && task.status !== "closed") return;
      const deadlines =
        duty === "reveal"
          ? {
              revealOpened: task.endTime.toISOString(),
              revealClosed: revealWindowCloses(ctx, task).toISOString(),
            }
          : { assignment: assignment.deadline.toISOString(), commitClosed: task.endTime.toISOString() };
      await slashWithEvidence(ctx, {
        taskId: task.id,
        account: assignment.validator,
        fractionBps: ctx.config.failedDutySlashBps,
        evidence: {
          kind: "failed-duty",
          taskId: task.id,
          assignmentId: assignment.id,
          submissionId: submission.id,
          validator: assignment.validator,
          duty,
          assignedAt: assignment.assignedAt.toISOString(),
          commitment: assignment.commitment,
          committedAt: assignment.committedAt?.toISOString() ?? null,
          deadlines,
        },
        reason:
          duty === "reveal" ? "failed duty: score not revealed" : "failed duty: assignment not committed",
        event: { submissionId: submission.id, assignmentId: assignment.id },
      });
    },
  };
}
