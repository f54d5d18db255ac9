import { ConflictError, type wire } from "@flock/core";
import { type Submission, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { requireStake } from "../stakes/requireStake.ts";
import type { StakeIndexer } from "../stakes/stakeIndexer.ts";

/**
 * A trainer staked on the task commits to its artifact's content id before the deadline (SPEC §2.1). One live
 * submission per trainer: a new hash replaces the trainer's earlier commit, which is never scored
 * (`submission.replaced`); the store refuses a commit after the deadline, on a task that is not open, and the
 * same hash twice (`SUBMISSION_EXISTS`).
 */
export async function commitSubmission(
  ctx: AppContext,
  indexer: StakeIndexer,
  trainer: string,
  taskId: number,
  request: wire.CommitSubmissionRequest,
): Promise<Submission> {
  const task = await ctx.repos.tasks.get(taskId);
  if (task.kind === "federated") {
    throw new ConflictError("TASK_NOT_ARENA", `task ${taskId} is a federated task: it takes no submissions`, {
      hint: `take part in it with POST /fl/tasks/${taskId}/join (\`flock fl join ${taskId}\`)`,
      details: { taskId },
    });
  }
  await requireStake(ctx, indexer, { taskId, account: trainer, role: "trainer" });
  return withTransaction(ctx.db, async (tx) => {
    const created = await tx.submissions.commit({
      taskId,
      trainer,
      commitHash: request.commitHash,
      committedAt: ctx.clock.now(),
    });
    const replaced = await tx.submissions.replacedBy(created.id);
    if (replaced !== undefined) {
      await tx.events.append("submission.replaced", {
        taskId,
        submissionId: replaced.id,
        replacedBy: created.id,
        trainer,
      });
    }
    await tx.events.append("submission.committed", {
      taskId,
      submissionId: created.id,
      trainer,
      ...(replaced === undefined ? {} : { replaces: replaced.id }),
    });
    return created;
  });
}
