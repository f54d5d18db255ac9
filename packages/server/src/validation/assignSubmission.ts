import type { Assignment, Repositories, Submission } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { assignValidators } from "./assignValidators.ts";

/** Job kind: an assignment's deadline passed. */
export const ASSIGNMENT_TIMEOUT_JOB = "assignment.timeout";

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
  const validators = (await tx.stakes.listForTask(task.id, "validator")).filter(
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
    await tx.jobs.schedule({
      kind: ASSIGNMENT_TIMEOUT_JOB,
      key: `assignment:${assignment.id}:timeout`,
      runAt: assignment.deadline,
      payload: { assignmentId: assignment.id },
    });
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

/** The task's draw seed: the one its assignments already carry, else a fresh beacon from the chain. */
export async function taskSeed(ctx: Pick<AppContext, "repos" | "chain">, taskId: number): Promise<string> {
  const [first] = await ctx.repos.assignments.listForTask(taskId);
  return first?.seed ?? (await ctx.chain.randomnessBeacon());
}
