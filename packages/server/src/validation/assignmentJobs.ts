import { withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { readJobPayload } from "../jobs/jobPayloads.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import { ASSIGNMENT_TIMEOUT_JOB, assignSubmission } from "./assignSubmission.ts";

/** An assignment not reported by its deadline times out and its submission goes to another validator. */
export function assignmentJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [ASSIGNMENT_TIMEOUT_JOB]: async (job) => {
      const { assignmentId } = readJobPayload(job, ASSIGNMENT_TIMEOUT_JOB);
      await withTransaction(ctx.db, async (tx) => {
        const assignment = await tx.assignments.get(assignmentId);
        if (assignment.status !== "open") return;
        await tx.assignments.markTimedOut(assignmentId);
        const submission = await tx.submissions.get(assignment.submissionId);
        await tx.events.append("assignment.timedOut", {
          taskId: submission.taskId,
          submissionId: submission.id,
          assignmentId,
          validator: assignment.validator,
        });
        const task = await tx.tasks.get(submission.taskId);
        // Re-assign only while the task still takes commitments; the same seed keeps the draw auditable.
        if (task.status === "validating" && ctx.clock.now().getTime() <= task.endTime.getTime()) {
          await assignSubmission(ctx, tx, submission, assignment.seed);
        }
      });
    },
  };
}
