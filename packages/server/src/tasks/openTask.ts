import { ConflictError, formatFlock } from "@flock/core";
import { type Task, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { scheduleFlStart } from "../fl/flJobs.ts";
import { scheduleTaskDeadlines } from "./taskJobs.ts";

/**
 * Opens in progress by task id: two opens of one task in this process run one after the other, so the second
 * finds it open instead of registering it on-chain twice.
 */
const opening = new WeakMap<AppContext, Map<number, Promise<Task>>>();

/**
 * Why a draft may not open yet (SPEC §3: a task is paid by the pool its creator funded on-chain, or by emission
 * an operator approved): its pool is not funded in full, or it asks for emission alone and nobody approved it.
 */
async function requireFunded(ctx: AppContext, task: Task): Promise<void> {
  const funding = await ctx.repos.funding.find(task.id);
  // Drafts from before funding terms existed were approved under the old rule (their weight).
  if (funding === undefined) return;
  if (funding.pool > 0n) {
    const held = await ctx.chain.taskPool(task.id);
    if (held < funding.pool) {
      const missing = funding.pool - held;
      throw new ConflictError(
        "TASK_POOL_UNFUNDED",
        `task ${task.id}'s reward pool holds ${formatFlock(held)} of its ${formatFlock(funding.pool)} FLOCK`,
        {
          hint: `fund the missing ${formatFlock(missing)} FLOCK with RewardDistributor.fundTask(${task.id}, ${missing}) from any wallet (\`flock task fund ${task.id}\`), then open it again`,
          details: {
            taskId: task.id,
            pool: funding.pool.toString(),
            held: held.toString(),
            missing: missing.toString(),
          },
        },
      );
    }
    return;
  }
  if ((funding.approvedWeight ?? 0n) === 0n) {
    throw new ConflictError(
      "TASK_NOT_APPROVED",
      `task ${task.id} has no pool and no approved emission weight: nothing would pay it`,
      {
        hint: `an operator approves its emission weight (POST /tasks/${task.id}/approve, \`flock task approve ${task.id} --weight N\`), or create the task again with a pool it funds itself (\`flock task create --pool <FLOCK>\`)`,
        details: { taskId: task.id, requestedWeight: task.rewardWeight.toString() },
      },
    );
  }
}

async function openNow(ctx: AppContext, taskId: number): Promise<Task> {
  const task = await ctx.repos.tasks.get(taskId);
  if (task.status === "open") return task;
  if (task.status !== "draft") {
    throw new ConflictError("TASK_NOT_DRAFT", `task ${taskId} is ${task.status}, not a draft`, {
      hint: "only a draft opens; a task opens once",
      details: { taskId, status: task.status },
    });
  }
  if (task.submissionDeadline.getTime() <= ctx.clock.now().getTime()) {
    throw new ConflictError("TASK_DEADLINE_PASSED", `task ${taskId}'s submission deadline has passed`, {
      hint: "create the task again with a later submission deadline",
      details: { taskId, submissionDeadline: task.submissionDeadline.toISOString() },
    });
  }
  await requireFunded(ctx, task);
  // The chain is called outside any transaction; a task the chain refused stays a draft.
  await ctx.chain.registerTask({
    taskId: task.id,
    minStake: task.minStake,
    minLockDays: task.minLockDays,
    submissionDeadline: task.submissionDeadline,
    endTime: task.endTime,
  });
  return withTransaction(ctx.db, async (tx) => {
    const opened = await tx.tasks.transition(task.id, "open");
    if (opened.kind === "federated") await scheduleFlStart(tx, opened);
    else await scheduleTaskDeadlines(tx, opened, ctx.config.revealWindowMs);
    await tx.events.append("task.created", { taskId: opened.id, creator: opened.creator });
    return opened;
  });
}

/**
 * Open a draft task: check it is paid (its pool funded on-chain in full, or emission approved) and that its
 * submission deadline is ahead, register it on-chain, open it and schedule its deadlines. The one way a task
 * opens, for an operator's task at creation and for a creator's `POST /tasks/:id/open` alike.
 */
export function openTask(ctx: AppContext, taskId: number): Promise<Task> {
  return oneAtATime(ctx, taskId, () => openNow(ctx, taskId));
}

/**
 * Run `work` after every open or cancel of the same task in this process: a draft is opened or cancelled, never
 * both at once (an open registering it on-chain while a cancel refunds its pool).
 */
export async function oneAtATime(ctx: AppContext, taskId: number, work: () => Promise<Task>): Promise<Task> {
  let inFlight = opening.get(ctx);
  if (inFlight === undefined) {
    inFlight = new Map();
    opening.set(ctx, inFlight);
  }
  const previous = inFlight.get(taskId);
  const next = (previous ?? Promise.resolve()).catch(() => undefined).then(work);
  inFlight.set(taskId, next);
  try {
    return await next;
  } finally {
    if (inFlight.get(taskId) === next) inFlight.delete(taskId);
  }
}
