import { type Task, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { closeSettledTask, finishRecordedEpochs } from "../epochs/settleEpoch.ts";
import { jobInput } from "../jobs/jobPayloads.ts";
import { jobTaskId } from "../scheduler/scheduler.ts";
import { scheduleTaskDeadlines, TASK_JOBS } from "../tasks/taskJobs.ts";

/** One way the store and the chain disagree, and whether this pass repaired it. */
export interface ChainDifference {
  /** Stable name of the difference, e.g. `task-registered-not-opened`. */
  kind: string;
  taskId?: number;
  epoch?: number;
  jobId?: number;
  message: string;
  repaired: boolean;
  /** What the operator can do when it was not repaired. */
  hint?: string;
}

export interface ReconcileReport {
  at: Date;
  differences: ChainDifference[];
}

export interface ReconcileOptions {
  /**
   * Drafts the chain already holds are opened only when registered before this pass's memory of them (seen
   * registered by an earlier pass) or created before the process started: never one a request is opening now.
   */
  draftsSeenRegistered: Set<number>;
  startedAt: Date;
}

/** Every task in the store not yet closed, oldest first, one page at a time. */
async function unclosedTasks(ctx: AppContext): Promise<Task[]> {
  const tasks: Task[] = [];
  for (const status of ["draft", "open", "validating", "finalized"] as const) {
    let after: number | undefined;
    for (;;) {
      const page = await ctx.repos.tasks.list({
        status,
        limit: 500,
        ...(after === undefined ? {} : { after }),
      });
      tasks.push(...page.items);
      if (page.next === undefined) break;
      after = page.next;
    }
  }
  return tasks;
}

/** Tasks some job not yet done still works for (pending, running, or stopped for the operator). */
async function tasksWithLiveJobs(ctx: AppContext): Promise<Set<number>> {
  const live = new Set<number>();
  for (const status of ["pending", "running", "failed"] as const) {
    for (const job of await ctx.repos.jobs.list({ status })) {
      const taskId = jobTaskId(job);
      if (taskId !== undefined) live.add(taskId);
    }
  }
  return live;
}

/** Open a draft the chain already registered (the coordinator died between the two), as opening it would. */
async function openRegisteredDraft(ctx: AppContext, taskId: number): Promise<boolean> {
  return withTransaction(ctx.db, async (tx) => {
    if ((await tx.tasks.get(taskId)).status !== "draft") return false;
    const opened = await tx.tasks.transition(taskId, "open");
    await scheduleTaskDeadlines(tx, opened, ctx.config.revealWindowMs);
    await tx.events.append("task.created", { taskId: opened.id, creator: opened.creator });
    return true;
  });
}

/**
 * Compare the store with the chain and repair what a crash left between a chain write and its record:
 * - an epoch recorded but not posted whose roots the chain holds is marked posted (and one not posted is
 *   posted); one the chain holds with other roots is reported — the chain's roots are what claims pay;
 * - a task of a posted epoch left `finalized` is closed, on-chain first if the chain has it open;
 * - a draft the chain registered is opened and its deadlines scheduled;
 * - an open or validating task the chain does not know is reported; its deadline jobs are scheduled again
 *   (keyed: harmless when they exist);
 * - a finalized task no job works for any more is settled again (a settle job);
 * - confirmed-or-not chain writes are confirmed from what the chain holds;
 * - every job stopped by a permanent error is reported with the task it blocks.
 * Every repair is one of the idempotent steps the jobs themselves run, so it is safe to run at any time.
 */
export async function reconcileWithChain(
  ctx: AppContext,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  const differences: ChainDifference[] = [];

  // Epochs first: posting one closes its tasks too.
  for (const epoch of await ctx.repos.epochs.listUnposted()) {
    const held = await ctx.chain.postedEpoch(BigInt(epoch.number));
    if (held !== null && held.reportHash.toLowerCase() !== epoch.reportHash.toLowerCase()) {
      differences.push({
        kind: "epoch-posted-otherwise",
        epoch: epoch.number,
        message: `epoch ${epoch.number} is posted on-chain with report ${held.reportHash}, the store recorded ${epoch.reportHash}`,
        repaired: false,
        hint: "the chain's roots are the ones claims pay from: check this coordinator's database against its deployment",
      });
    } else {
      differences.push({
        kind: held === null ? "epoch-recorded-not-posted" : "epoch-posted-not-marked",
        epoch: epoch.number,
        message:
          held === null
            ? `epoch ${epoch.number} was recorded but not posted`
            : `epoch ${epoch.number} is posted on-chain but the store did not mark it`,
        repaired: true,
      });
    }
  }
  if (!differences.some((d) => d.kind === "epoch-posted-otherwise")) await finishRecordedEpochs(ctx);

  const live = await tasksWithLiveJobs(ctx);
  const seenNow = new Set<number>();
  for (const task of await unclosedTasks(ctx)) {
    const current = await ctx.repos.tasks.get(task.id);
    if (current.status === "closed") continue;
    const onChain = await ctx.chain.chainTask(task.id);
    switch (current.status) {
      case "draft": {
        if (onChain.status === "none") break;
        const settled = current.createdAt < options.startedAt || options.draftsSeenRegistered.has(task.id);
        if (settled && (await openRegisteredDraft(ctx, task.id))) {
          differences.push({
            kind: "task-registered-not-opened",
            taskId: task.id,
            message: `task ${task.id} was registered on-chain but still a draft: opened`,
            repaired: true,
          });
        } else seenNow.add(task.id);
        break;
      }
      case "open":
      case "validating": {
        if (onChain.status === "none") {
          differences.push({
            kind: "task-not-on-chain",
            taskId: task.id,
            message: `task ${task.id} is ${current.status} here but not registered on-chain: nobody can stake on it`,
            repaired: false,
            hint: "point the coordinator at the deployment it registered its tasks on",
          });
        }
        await scheduleTaskDeadlines(ctx.repos, current, ctx.config.revealWindowMs);
        break;
      }
      case "finalized": {
        const epoch = await ctx.repos.epochs.ofTask(task.id);
        if (epoch?.txHash != null) {
          await closeSettledTask(ctx, task.id);
          differences.push({
            kind: "task-settled-not-closed",
            taskId: task.id,
            epoch: epoch.number,
            message: `task ${task.id} was settled by posted epoch ${epoch.number} but not closed: closed`,
            repaired: true,
          });
        } else if (epoch === undefined && !live.has(task.id)) {
          if (onChain.status === "closed") {
            differences.push({
              kind: "task-closed-not-settled",
              taskId: task.id,
              message: `task ${task.id} is closed on-chain but no epoch settled it`,
              repaired: false,
              hint: "its stakes can be withdrawn but its rewards were never posted: settle it by hand",
            });
          } else {
            await ctx.repos.jobs.schedule(
              jobInput(TASK_JOBS.settle, {
                key: `task:${task.id}:settle:reconcile:${ctx.clock.now().getTime()}`,
                runAt: ctx.clock.now(),
                payload: { taskId: task.id, round: 0 },
              }),
            );
            differences.push({
              kind: "task-finalized-unsettled",
              taskId: task.id,
              message: `task ${task.id} is finalized with no job settling it: settlement scheduled`,
              repaired: true,
            });
          }
        }
        break;
      }
      default:
        break;
    }
  }
  options.draftsSeenRegistered.clear();
  for (const id of seenNow) options.draftsSeenRegistered.add(id);

  // The journal: writes recorded but never confirmed. One whose transaction was sent (a crash between send and
  // mine) is looked up by its hash; the others, and a sent one the node lost, are confirmed from the chain's
  // state when it holds them.
  for (const write of await ctx.repos.chainWrites.listUnconfirmed()) {
    const sent = write.status === "sent" && write.txHash !== null ? write.txHash : null;
    const outcome = sent === null ? null : await ctx.chain.transactionOutcome(sent as `0x${string}`);
    if (outcome === "success") {
      await ctx.repos.chainWrites.confirm(write.key, sent);
      continue;
    }
    if (outcome === "pending") continue;
    if (await confirmFromChainState(ctx, write.key)) continue;
    if (outcome === "reverted" || outcome === "missing") {
      differences.push({
        kind: outcome === "reverted" ? "chain-write-reverted" : "chain-write-lost",
        message: `${write.kind} ${write.key}: its transaction ${sent} ${outcome === "reverted" ? "was mined and reverted" : "is unknown to the node"}`,
        repaired: false,
        hint: "the job that makes this write reads the chain before sending again; retry it if it stopped",
      });
    }
  }

  for (const job of await ctx.repos.jobs.list({ status: "failed" })) {
    const taskId = jobTaskId(job);
    differences.push({
      kind: "job-failed",
      jobId: job.id,
      ...(taskId === undefined ? {} : { taskId }),
      message: `job ${job.id} (${job.kind}) stopped${taskId === undefined ? "" : `, blocking task ${taskId}`}: ${job.errorCode ?? "JOB_FAILED"}: ${job.lastError ?? ""}`,
      repaired: false,
      hint: `fix the cause, then \`flock admin jobs retry ${job.id}\``,
    });
  }
  return { at: ctx.clock.now(), differences };
}

/**
 * Confirm an unconfirmed write when the chain's state shows it done (usage collected, roots posted, task registered
 * or closed).
 */
async function confirmFromChainState(ctx: AppContext, key: string): Promise<boolean> {
  const [scope, id, what] = key.split(":");
  if (scope === "epoch" && what === "usage") {
    const held = await ctx.chain.collectedUsage(BigInt(id!));
    if (held === null) return false;
    await ctx.repos.chainWrites.confirm(key, held.transactionHash);
    return true;
  }
  if (scope === "epoch" && what === "root") {
    const held = await ctx.chain.postedEpoch(BigInt(id!));
    if (held === null) return false;
    await ctx.repos.chainWrites.confirm(key, held.transactionHash);
    return true;
  }
  if (scope === "task" && (what === "create" || what === "closed")) {
    const held = await ctx.chain.chainTask(Number(id));
    if ((what === "create" && held.status !== "none") || (what === "closed" && held.status === "closed")) {
      await ctx.repos.chainWrites.confirm(key, null);
      return true;
    }
  }
  return false;
}
