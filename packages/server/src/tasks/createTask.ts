import { ConflictError, ValidationError, type wire } from "@flock/core";
import { MAX_TASK_WEIGHT } from "@flock/protocol";
import { type Task, type TaskFunding, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { openTask } from "./openTask.ts";
import { checkTaskInputs, requireSupportedType } from "./taskTypes.ts";

/** What a creator posts: core's wire `CreateTaskRequest` (amounts as decimal strings of base units). */
export type CreateTaskBody = wire.CreateTaskRequest;

/**
 * The cheap checks of the request itself, before anything is read or stored: the weight bound (the protocol's,
 * so a task could never be settled with it), that something pays the task, its times, and that its type is
 * one the nodes train and score (`SUPPORTED_TASK_TYPES`).
 */
function checkTerms(ctx: AppContext, body: CreateTaskBody): { weight: bigint; pool: bigint } {
  const weight = BigInt(body.rewardWeight);
  const pool = BigInt(body.pool ?? "0");
  if (weight > MAX_TASK_WEIGHT) {
    throw new ValidationError(
      "TASK_WEIGHT_TOO_LARGE",
      `reward weight ${weight} is above ${MAX_TASK_WEIGHT}`,
      {
        hint: `ask for a whole-number weight from 0 to ${MAX_TASK_WEIGHT}: a task's share of the Arena emission is weight / Σ weights`,
        details: { rewardWeight: body.rewardWeight, max: MAX_TASK_WEIGHT.toString() },
      },
    );
  }
  // SPEC §3: a task funds its own pool, or is paid from emission an operator approves; never by nothing.
  if (weight === 0n && pool === 0n) {
    throw new ValidationError(
      "TASK_UNFUNDED",
      "the task has no pool and asks for no emission: nothing would pay it",
      {
        hint: "give a pool the creator funds on-chain (pool, FLOCK base units), or a reward weight for an operator to approve",
      },
    );
  }
  const now = ctx.clock.now();
  if (new Date(body.submissionDeadline).getTime() <= now.getTime()) {
    throw new ValidationError("TASK_DEADLINE_PASSED", "the submission deadline is not in the future", {
      hint: "give a submissionDeadline after now",
      details: { submissionDeadline: body.submissionDeadline, now: now.toISOString() },
    });
  }
  if (new Date(body.endTime).getTime() - now.getTime() > ctx.config.maxTaskDurationMs) {
    throw new ValidationError("TASK_TOO_LONG", "the task would run longer than the network allows", {
      hint: `end the task within ${ctx.config.maxTaskDurationMs / 86_400_000} days of creating it`,
      details: { endTime: body.endTime, maxDurationMs: ctx.config.maxTaskDurationMs },
    });
  }
  requireSupportedType(body.type);
  return { weight, pool };
}

/** SPEC §3: a network minimum stake applies to every role, so a task's minimum is at least the chain's floor. */
async function requireStakeFloor(ctx: AppContext, minStake: bigint): Promise<void> {
  const floor = await ctx.chain.minStakeFloor();
  if (minStake < floor) {
    throw new ValidationError(
      "TASK_STAKE_BELOW_FLOOR",
      `minimum stake ${minStake} is below the network floor of ${floor} gmFLOCK base units`,
      {
        hint: `give a minStake of at least ${floor} (the network minimum stake, TaskStaking.minStakeFloor)`,
        details: { minStake: minStake.toString(), floor: floor.toString() },
      },
    );
  }
}

/**
 * A task's public inputs must be published before it opens (trainers fetch them by content id), and its
 * hidden set must not be: a published set is not hidden (SPEC §2.1). A set any task committed to is known or
 * about to be (hidden sets are revealed after finalization), so it is refused too.
 */
async function requireTaskArtifacts(ctx: AppContext, body: CreateTaskBody): Promise<void> {
  for (const [field, id] of [
    ["baseModel", body.baseModel],
    ["trainingSetId", body.trainingSetId],
  ] as const) {
    const record = await ctx.repos.artifacts.find(id);
    if (record?.public !== true) {
      throw new ValidationError("TASK_ARTIFACT_NOT_PUBLISHED", `${field} ${id} is not a published artifact`, {
        hint: "publish it first with PUT /artifacts/<content id> (flock task create does this for you)",
        details: { field, id },
      });
    }
  }
  const hidden = await ctx.repos.artifacts.find(body.validationCommitment);
  if (hidden?.public === true) {
    throw new ValidationError(
      "VALIDATION_SET_PUBLIC",
      `the hidden set ${body.validationCommitment} is a published artifact`,
      {
        hint: "use a validation set nobody has seen: trainers could fit a published one",
        details: { validationCommitment: body.validationCommitment },
      },
    );
  }
  const [earlier] = await ctx.repos.tasks.usingHiddenSet(body.validationCommitment);
  if (earlier !== undefined) {
    throw new ConflictError(
      "VALIDATION_SET_REUSED",
      `task ${earlier.id} already used the hidden set ${body.validationCommitment}`,
      {
        hint: "commit to a new hidden validation set that no task has used",
        details: { validationCommitment: body.validationCommitment, taskId: earlier.id },
      },
    );
  }
}

/**
 * Create a task (SPEC §3: anyone may post a task that funds its own reward pool; tasks paid from emission are
 * approved by the operator role; the network minimum stake applies). The task and its funding terms are stored
 * as a draft; an operator's emission weight is approved at once, and an operator's task that needs no pool
 * opens at once. Anyone else's task stays a draft until its creator funds the pool on-chain and opens it.
 */
export async function createTask(
  ctx: AppContext,
  creator: string,
  body: CreateTaskBody,
): Promise<{ task: Task; funding: TaskFunding }> {
  const { weight, pool } = checkTerms(ctx, body);
  const minStake = BigInt(body.minStake);
  await requireStakeFloor(ctx, minStake);
  await requireTaskArtifacts(ctx, body);
  await checkTaskInputs(ctx, body);
  const operator = await ctx.chain.isOperator(creator);
  const { pool: _pool, ...fields } = body;
  const { draft, funding } = await withTransaction(ctx.db, async (tx) => {
    const draft = await tx.tasks.create({
      ...fields,
      submissionDeadline: new Date(body.submissionDeadline),
      endTime: new Date(body.endTime),
      rewardWeight: weight,
      minStake,
      creator,
    });
    let funding = await tx.funding.create(draft.id, pool);
    if (operator && weight > 0n) {
      funding = await tx.funding.approve(draft.id, { weight, by: creator, at: ctx.clock.now() });
    }
    return { draft, funding };
  });
  if (operator && pool === 0n) return { task: await openTask(ctx, draft.id), funding };
  return { task: draft, funding };
}
