import { ConflictError } from "@flock/core";
import type { Assignment, Repositories, Submission } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { JOB_KINDS, jobInput } from "../jobs/jobPayloads.ts";
import { countedStakes, freezeStakes } from "../stakes/freezeStakes.ts";
import { assignValidators } from "./assignValidators.ts";

/** Job kind: an assignment's deadline passed. */
export const ASSIGNMENT_TIMEOUT_JOB = JOB_KINDS.assignmentTimeout;

/**
 * Give a submission validators until it has k that are open, committed or have reported: drawn by √stake from the
 * task's validators (at least the task's minimum stake), never the submitter nor anyone drawn before.
 * Each assignment gets a timeout job. Runs inside the caller's transaction.
 */
export async function assignSubmission(
  ctx: Pick<AppContext, "config" | "clock">,
  tx: Repositories,
  submission: Submission,
  seed: string,
): Promise<Assignment[]> {
  const task = await tx.tasks.get(submission.taskId);
  // The draw weighs the stakes frozen at the submission deadline (SPEC §2.1), never a later top-up.
  const validators = (await countedStakes(tx, task.id, "validator")).filter(
    (stake) => stake.amount > 0n && stake.amount >= task.minStake,
  );
  const existing = await tx.assignments.listForSubmission(submission.id);
  // Refused and timed-out duties do not count: the draw continues past them (SPEC §2.1: k scores).
  const live = existing.filter(
    (a) => a.status === "open" || a.status === "committed" || a.status === "reported",
  ).length;
  const need = ctx.config.validatorsPerSubmission - live;
  if (need <= 0) return [];
  const chosen = assignValidators({
    seed,
    submissionId: submission.id,
    submitter: submission.trainer,
    candidates: validators.map((v) => ({ account: v.account, stake: v.amount })),
    k: need,
    exclude: existing.map((a) => a.validator),
    firstDraw: existing.length,
  });
  const now = ctx.clock.now();
  const created: Assignment[] = [];
  for (const validator of chosen) {
    const assignment = await tx.assignments.create({
      submissionId: submission.id,
      validator,
      seed,
      assignedAt: now,
      deadline: new Date(now.getTime() + ctx.config.assignmentTimeoutMs),
    });
    await tx.jobs.schedule(
      jobInput(ASSIGNMENT_TIMEOUT_JOB, {
        key: `assignment:${assignment.id}:timeout`,
        runAt: assignment.deadline,
        payload: { assignmentId: assignment.id },
      }),
    );
    await tx.events.append("assignment.created", {
      taskId: task.id,
      submissionId: submission.id,
      assignmentId: assignment.id,
      validator,
    });
    created.push(assignment);
  }
  if (live + created.length < ctx.config.validatorsPerSubmission) {
    await tx.events.append("assignment.short", {
      taskId: task.id,
      submissionId: submission.id,
      assigned: live + created.length,
      wanted: ctx.config.validatorsPerSubmission,
    });
  }
  return created;
}

/**
 * The task's draw seed (SPEC §2.1, a verifiable draw): the hash of the first block mined after its submission
 * deadline, recorded with the task's stake snapshot, so anyone can recompute every assignment from public
 * data. Assignments made before snapshots existed keep the seed they carry. Throws DRAW_SEED_NOT_YET while no
 * block after the deadline exists (the job retries).
 */
export async function taskSeed(ctx: AppContext, taskId: number): Promise<string> {
  const [first] = await ctx.repos.assignments.listForTask(taskId);
  if (first !== undefined) return first.seed;
  const snapshot = await freezeStakes(ctx, taskId);
  if (snapshot === null) {
    throw new ConflictError("DRAW_SEED_NOT_YET", `no block after task ${taskId}'s submission deadline yet`, {
      hint: "the validator draw waits for the first block after the deadline; it is retried shortly",
      details: { taskId },
    });
  }
  return snapshot.blockHash;
}
