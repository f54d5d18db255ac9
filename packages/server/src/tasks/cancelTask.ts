import { AuthError, ConflictError } from "@flock/core";
import { type Task, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { oneAtATime } from "./openTask.ts";

/**
 * The creator cancels a draft that never opened (SPEC §3: a creator-funded pool pays its own task, so one that
 * will never run goes back to who funded it). The task must be a draft the chain does not hold (`TASK_NOT_DRAFT`
 * otherwise: an open task, or one registered on-chain, is bound); a funded pool is cancelled on-chain
 * (`RewardDistributor.cancelTaskPool`, refused for a pool an epoch drew from), after which each funder takes back
 * what it put in (`refundTaskFunding`, once). The task becomes `cancelled`. Runs one at a time with opens of the
 * same task.
 */
export function cancelTask(ctx: AppContext, signer: string, taskId: number): Promise<Task> {
  return oneAtATime(ctx, taskId, async () => {
    const task = await ctx.repos.tasks.get(taskId);
    if (signer !== task.creator) {
      throw new AuthError("NOT_CREATOR", `only task ${task.id}'s creator may cancel it`, {
        hint: "sign the request with the key that created the task",
        details: { taskId: task.id },
      });
    }
    if (task.status === "cancelled") return task;
    const onChain = task.status === "draft" ? (await ctx.chain.chainTask(task.id)).status : "open";
    if (task.status !== "draft" || onChain !== "none") {
      throw new ConflictError(
        "TASK_NOT_DRAFT",
        `task ${task.id} is ${task.status === "draft" ? "registered on-chain" : task.status}, not a draft`,
        {
          hint: "only a draft that never opened can be cancelled; an open task runs to its end",
          details: { taskId: task.id, status: task.status },
        },
      );
    }
    // The chain is called outside any transaction; a pool the chain refuses to cancel leaves the draft as it was.
    if ((await ctx.chain.taskPool(task.id)) > 0n) await ctx.chain.cancelTaskPool(task.id);
    return withTransaction(ctx.db, async (tx) => {
      const cancelled = await tx.tasks.transition(task.id, "cancelled");
      await tx.events.append("task.status", { taskId: task.id, from: "draft", to: "cancelled" });
      return cancelled;
    });
  });
}
