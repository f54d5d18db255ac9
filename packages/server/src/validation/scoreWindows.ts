import { ConflictError } from "@flock/core";
import type { Task } from "@flock/store";
import type { AppContext } from "../deps.ts";

/**
 * When a task takes score commitments and reveals (SPEC §2.1 commit-reveal): commitments while it validates
 * and before its end (the validation deadline), reveals after the end and before the reveal window closes
 * (the finalize job runs then). One rule for the routes, the timeout job and the leaderboard.
 */
export function revealWindowCloses(ctx: Pick<AppContext, "config">, task: Task): Date {
  return new Date(task.endTime.getTime() + ctx.config.revealWindowMs);
}

/** Refuse a commitment unless the task validates and its end has not passed. */
export function requireCommitOpen(ctx: Pick<AppContext, "clock">, task: Task): void {
  const now = ctx.clock.now();
  if (task.status !== "validating" || now.getTime() > task.endTime.getTime()) {
    throw new ConflictError(
      "SCORE_COMMIT_CLOSED",
      `task ${task.id} takes score commitments while it validates, until ${task.endTime.toISOString()}`,
      {
        hint: "commit before the task's end; an assignment not committed by then is a failed duty",
        details: { taskId: task.id, status: task.status, endTime: task.endTime.toISOString() },
      },
    );
  }
}

/** Refuse a reveal before the task's end or once the reveal window closed. */
export function requireRevealOpen(ctx: Pick<AppContext, "clock" | "config">, task: Task): void {
  const now = ctx.clock.now().getTime();
  const closes = revealWindowCloses(ctx, task);
  if (task.status === "validating" && now <= task.endTime.getTime()) {
    throw new ConflictError(
      "REVEAL_TOO_EARLY",
      `task ${task.id}'s scores are revealed after its end ${task.endTime.toISOString()}`,
      {
        hint: "keep the score and salt; reveal them between the task's end and the reveal window's close",
        details: { taskId: task.id, opensAfter: task.endTime.toISOString(), closesAt: closes.toISOString() },
      },
    );
  }
  if (task.status !== "validating" || now > closes.getTime()) {
    throw new ConflictError("REVEAL_WINDOW_CLOSED", `task ${task.id}'s reveal window closed`, {
      hint: "a commitment not revealed in the window is a failed duty: no score, no work credit",
      details: { taskId: task.id, status: task.status, closedAt: closes.toISOString() },
    });
  }
}

/** True once nothing more can be revealed: the scores and the consensus may be shown. */
export function scoresRevealed(task: Task): boolean {
  return task.status === "finalized" || task.status === "closed";
}
