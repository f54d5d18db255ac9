import { AuthError, ConflictError, ValidationError } from "@flock/core";
import { MAX_TASK_WEIGHT } from "@flock/protocol";
import { type TaskFunding, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";

/**
 * An operator approves a task's emission weight (SPEC §3: tasks paid from emission are approved by the operator
 * role, TaskStaking's OPERATOR_ROLE). Until a task is finalized the approval may change; settlement reads the
 * approved weight, never the weight the creator asked for.
 */
export async function approveTask(
  ctx: AppContext,
  operator: string,
  taskId: number,
  weight: bigint,
): Promise<TaskFunding> {
  if (weight > MAX_TASK_WEIGHT) {
    throw new ValidationError("TASK_WEIGHT_TOO_LARGE", `weight ${weight} is above ${MAX_TASK_WEIGHT}`, {
      hint: `approve a whole-number weight from 0 to ${MAX_TASK_WEIGHT}`,
      details: { weight: weight.toString(), max: MAX_TASK_WEIGHT.toString() },
    });
  }
  if (!(await ctx.chain.isOperator(operator))) {
    throw new AuthError("NOT_OPERATOR", `${operator} does not hold the operator role`, {
      hint: "an emission weight is approved by an account with TaskStaking's OPERATOR_ROLE; a task paid by its own pool needs no approval",
      details: { account: operator, taskId },
    });
  }
  const task = await ctx.repos.tasks.get(taskId);
  if (task.status !== "draft" && task.status !== "open" && task.status !== "validating") {
    throw new ConflictError(
      "TASK_SETTLING",
      `task ${taskId} is ${task.status}: its epoch reads the weight already`,
      {
        hint: "approve a task's weight before it is finalized",
        details: { taskId, status: task.status },
      },
    );
  }
  if ((await ctx.repos.funding.find(taskId)) === undefined) {
    throw new ConflictError(
      "TASK_FUNDING_LEGACY",
      `task ${taskId} predates funding terms: it keeps its weight`,
      {
        hint: "only tasks created with funding terms take an approved weight",
        details: { taskId },
      },
    );
  }
  return withTransaction(ctx.db, async (tx) => {
    const approved = await tx.funding.approve(taskId, { weight, by: operator, at: ctx.clock.now() });
    await tx.events.append("task.approved", { taskId, weight: weight.toString(), operator });
    return approved;
  });
}
