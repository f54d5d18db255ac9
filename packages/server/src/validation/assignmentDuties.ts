import { AuthError, ConflictError, NotFoundError, opensCommitment, type wire } from "@flock/core";
import { type Assignment, type RevealRequest, type Score, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { assignSubmission } from "./assignSubmission.ts";
import { requireCommitOpen, requireRevealOpen } from "./scoreWindows.ts";

/**
 * A validator's duties on an assignment (SPEC §2.1): fetch the hidden set and the artifact while it is open,
 * refuse it, commit to a score before the task's end, reveal that score in the reveal window. Each function
 * checks who may do it (`NOT_ASSIGNED`) and when, then changes the store in one transaction.
 */

/** The signer's open assignment (`NOT_ASSIGNED` for someone else's, `ASSIGNMENT_CLOSED` once it is not open). */
export async function openAssignmentOf(ctx: AppContext, validator: string, id: number): Promise<Assignment> {
  const assignment = await ctx.repos.assignments.get(id);
  if (assignment.validator !== validator) {
    throw new AuthError("NOT_ASSIGNED", `assignment ${id} is not yours`, {
      hint: "list your assignments with GET /assignments and use one of them",
      details: { assignmentId: id },
    });
  }
  if (assignment.status !== "open") {
    throw new ConflictError("ASSIGNMENT_CLOSED", `assignment ${id} is ${assignment.status}`, {
      hint: "hidden data and artifacts are served only for open assignments",
      details: { assignmentId: id, status: assignment.status },
    });
  }
  return assignment;
}

/** The content id of the hidden set an open assignment evaluates on (`VALIDATION_SET_MISSING` before it is uploaded). */
export async function assignmentHiddenSet(ctx: AppContext, validator: string, id: number): Promise<string> {
  const assignment = await openAssignmentOf(ctx, validator, id);
  const submission = await ctx.repos.submissions.get(assignment.submissionId);
  const task = await ctx.repos.tasks.get(submission.taskId);
  if (task.hiddenValidationSetId === null) {
    throw new NotFoundError(
      "VALIDATION_SET_MISSING",
      `task ${task.id}'s creator has not uploaded its validation set`,
      {
        hint: "retry later; the creator must upload the set matching the task's commitment",
        details: { taskId: task.id },
      },
    );
  }
  return task.hiddenValidationSetId;
}

/** The content id of the artifact an open assignment evaluates. */
export async function assignmentArtifact(ctx: AppContext, validator: string, id: number): Promise<string> {
  const assignment = await openAssignmentOf(ctx, validator, id);
  const submission = await ctx.repos.submissions.get(assignment.submissionId);
  // Only accepted (uploaded) submissions are assigned, so the artifact is there.
  return submission.artifactId!;
}

/**
 * Refuse an open assignment with a recorded reason. A refusal is no verdict on the submission (SPEC §2.1: an
 * unscorable artifact is scored +∞, not refused): the draw goes on to a validator not drawn before, and the
 * refusal stays disputable.
 */
export async function refuseAssignment(
  ctx: AppContext,
  validator: string,
  id: number,
  request: wire.RefuseAssignmentRequest,
): Promise<Assignment> {
  const assignment = await openAssignmentOf(ctx, validator, id);
  return withTransaction(ctx.db, async (tx) => {
    const updated = await tx.assignments.refuse(assignment.id, request.reason);
    const submission = await tx.submissions.get(assignment.submissionId);
    const task = await tx.tasks.get(submission.taskId);
    await tx.events.append("assignment.refused", {
      taskId: task.id,
      assignmentId: assignment.id,
      submissionId: assignment.submissionId,
      validator: assignment.validator,
      reason: request.reason,
    });
    if (task.status === "validating" && ctx.clock.now().getTime() <= task.endTime.getTime()) {
      await assignSubmission(ctx, tx, submission, assignment.seed);
    }
    return updated;
  });
}

/**
 * Commit to an open assignment's score (commit-reveal): core's `scoreCommitment(assignmentId, score, salt)`,
 * while the task validates and before its end (`SCORE_COMMIT_CLOSED` after).
 */
export async function commitScore(
  ctx: AppContext,
  validator: string,
  id: number,
  request: wire.ScoreCommitmentRequest,
): Promise<Assignment> {
  const assignment = await openAssignmentOf(ctx, validator, id);
  return withTransaction(ctx.db, async (tx) => {
    const submission = await tx.submissions.get(assignment.submissionId);
    requireCommitOpen(ctx, await tx.tasks.get(submission.taskId));
    const updated = await tx.assignments.commitScore(assignment.id, {
      validator: assignment.validator,
      commitment: request.commitment,
      committedAt: ctx.clock.now(),
    });
    // The event says who committed, never to what: nothing of a score is visible before the reveals.
    await tx.events.append("score.committed", {
      taskId: submission.taskId,
      assignmentId: assignment.id,
      submissionId: assignment.submissionId,
      validator: assignment.validator,
    });
    return updated;
  });
}

/**
 * Reveal a committed score with its salt and evidence, after the task's end and before its reveal window closes
 * (`REVEAL_TOO_EARLY`, `REVEAL_WINDOW_CLOSED`); it must open the commitment (`REVEAL_MISMATCH`). The signed
 * request is stored with the score.
 */
export async function revealScore(
  ctx: AppContext,
  validator: string,
  id: number,
  request: wire.ScoreRevealRequest,
  /** The signed request the reveal came in, kept verbatim with its score (the audit checks scores against it). */
  signed: RevealRequest,
): Promise<Score> {
  const assignment = await ctx.repos.assignments.get(id);
  if (assignment.validator !== validator) {
    throw new AuthError("NOT_ASSIGNED", `assignment ${assignment.id} is not yours`, {
      hint: "reveal only the scores you committed",
      details: { assignmentId: assignment.id },
    });
  }
  const submission = await ctx.repos.submissions.get(assignment.submissionId);
  requireRevealOpen(ctx, await ctx.repos.tasks.get(submission.taskId));
  if (assignment.status !== "committed" || assignment.commitment === null) {
    throw new ConflictError(
      "REVEAL_WITHOUT_COMMITMENT",
      `assignment ${assignment.id} is ${assignment.status}`,
      {
        hint: "only a committed score can be revealed, once",
        details: { assignmentId: assignment.id, status: assignment.status },
      },
    );
  }
  const score = BigInt(request.score);
  if (!opensCommitment(assignment.commitment, { assignmentId: assignment.id, score, salt: request.salt })) {
    throw new ConflictError(
      "REVEAL_MISMATCH",
      `the revealed score and salt do not open assignment ${assignment.id}'s commitment`,
      {
        hint: "reveal exactly the score and salt you committed to; a commitment cannot be changed",
        details: { assignmentId: assignment.id, commitment: assignment.commitment },
      },
    );
  }
  return withTransaction(ctx.db, async (tx) => {
    const stored = await tx.scores.reveal({
      assignmentId: assignment.id,
      validator: assignment.validator,
      score,
      salt: request.salt,
      evidence: request.evidence,
      reportedAt: ctx.clock.now(),
      request: signed,
    });
    await tx.events.append("score.revealed", {
      taskId: submission.taskId,
      assignmentId: assignment.id,
      submissionId: assignment.submissionId,
      validator: assignment.validator,
    });
    return stored;
  });
}
