import { canonicalJson, contentId, ValidationError, type wire } from "@flock/core";
import { contributionCoalitionBound, layoutOf, MAX_CONTRIBUTION_COALITIONS } from "@flock/fl";
import { flProposerCount, MAX_TASK_WEIGHT } from "@flock/protocol";
import { type FlTerms, type Task, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { openTask } from "../tasks/openTask.ts";
import { readArrays } from "./flArrays.ts";
import { checkFlStrategy, dpNoiseMultiplier } from "./flStrategy.ts";
import { flPhases } from "./flTiming.ts";
import { startLoraTask } from "./loraTerms.ts";

/** Default share of a round's participants drawn as proposers (SPEC §2.2: the rest vote). */
export const DEFAULT_PROPOSER_FRACTION_BPS = 5000;

function invalid(code: string, message: string, hint: string, details?: Record<string, unknown>): never {
  throw new ValidationError(code, message, { hint, ...(details ? { details } : {}) });
}

/** The request's own checks: counts, times, funding, strategy and privacy, pay rule. */
function checkTerms(ctx: AppContext, body: wire.CreateFlTaskRequest): { weight: bigint; pool: bigint } {
  const weight = BigInt(body.rewardWeight);
  const pool = BigInt(body.pool ?? "0");
  if (weight > MAX_TASK_WEIGHT) {
    invalid(
      "TASK_WEIGHT_TOO_LARGE",
      `reward weight ${weight} is above ${MAX_TASK_WEIGHT}`,
      `ask for a weight from 0 to ${MAX_TASK_WEIGHT}`,
    );
  }
  if (weight === 0n && pool === 0n) {
    invalid(
      "TASK_UNFUNDED",
      "the task has no pool and asks for no emission: nothing would pay it",
      "give a pool the creator funds on-chain (pool, FLOCK base units), or a reward weight for an operator to approve",
    );
  }
  if (body.minParticipants > body.maxParticipants) {
    invalid(
      "FL_PARTICIPANTS_INVALID",
      `minParticipants ${body.minParticipants} is above maxParticipants ${body.maxParticipants}`,
      "give minParticipants ≤ maxParticipants",
    );
  }
  if (body.payRule === "contribution" && body.privacy.mode !== "plain") {
    // Contribution needs each coalition's model, so the update of a proposer would follow by difference.
    invalid(
      "FL_PAY_RULE_NEEDS_PLAIN",
      `the contribution pay rule needs privacy mode plain, not ${body.privacy.mode}: under secure aggregation only the sum of the updates exists, and the coalition models it needs would reveal each update by difference`,
      "use payRule stake with secagg or secagg+dp, or privacy mode plain with payRule contribution",
      { payRule: body.payRule, privacy: body.privacy.mode },
    );
  }
  const bps = body.proposerFractionBps ?? DEFAULT_PROPOSER_FRACTION_BPS;
  if (body.payRule === "contribution" && body.maxParticipants >= 2) {
    // Voters evaluate every coalition model a round lists: bounded by the most proposers a round can have.
    const most = flProposerCount(body.maxParticipants, bps);
    if (contributionCoalitionBound(most) > MAX_CONTRIBUTION_COALITIONS) {
      invalid(
        "FL_CONTRIBUTION_TOO_MANY_PROPOSERS",
        `with up to ${most} proposers a contribution round could ask each voter to evaluate ${contributionCoalitionBound(most)} coalition models (at most ${MAX_CONTRIBUTION_COALITIONS})`,
        "lower maxParticipants or proposerFractionBps so that at most 10 participants propose each round",
        { maxParticipants: body.maxParticipants, proposerFractionBps: bps, proposers: most },
      );
    }
  }
  if (body.privacy.mode !== "plain" && flProposerCount(body.minParticipants, bps) < 2) {
    invalid(
      "FL_SECAGG_TOO_FEW_PROPOSERS",
      `with ${body.minParticipants} participants and ${bps} bps of them proposing, a round has one proposer: secure aggregation of one update hides nothing`,
      "raise minParticipants or proposerFractionBps so that at least 2 participants propose each round",
      { minParticipants: body.minParticipants, proposerFractionBps: bps },
    );
  }
  checkFlStrategy({ strategy: body.strategy, privacy: body.privacy });
  if (body.privacy.mode === "secagg+dp") {
    // The noise is fixed by the budget at creation: a budget no noise can keep is refused now, not mid-task.
    dpNoiseMultiplier({ rounds: body.rounds, privacy: body.privacy }, bps / 10_000);
  }
  const now = ctx.clock.now().getTime();
  const join = new Date(body.joinDeadline).getTime();
  if (join <= now) {
    invalid(
      "TASK_DEADLINE_PASSED",
      "the join deadline is not in the future",
      "give a joinDeadline after now",
      {
        joinDeadline: body.joinDeadline,
      },
    );
  }
  const end = join + body.rounds * flPhases(body.roundSeconds).roundMs;
  if (end - now > ctx.config.maxTaskDurationMs) {
    invalid(
      "TASK_TOO_LONG",
      "the task's rounds would run longer than the network allows",
      `fewer rounds or shorter ones: all rounds end within ${ctx.config.maxTaskDurationMs / 86_400_000} days`,
      { rounds: body.rounds, roundSeconds: body.roundSeconds },
    );
  }
  return { weight, pool };
}

/**
 * Create a federated task (SPEC §2.2): stored as a task of kind `federated` — so it shares the chain's task ids,
 * funding, stakes frozen at its join deadline and the network's epochs with Arena tasks — with its own terms.
 * Its base model must be published (participants download it): for a classifier or regressor, a safetensors
 * model of float32 arrays (the first global model); for lm-lora, a language model whose LoRA adapter the task
 * trains (the first global model is the adapter, see loraTerms.ts).
 * As with Arena tasks, an operator's task that needs no pool opens at once; anyone else's stays a draft until
 * its pool is funded on-chain and it is opened (POST /fl/tasks/:id/open).
 */
export async function createFlTask(
  ctx: AppContext,
  creator: string,
  body: wire.CreateFlTaskRequest,
): Promise<Task> {
  const { weight, pool } = checkTerms(ctx, body);
  const minStake = BigInt(body.minStake);
  const floor = await ctx.chain.minStakeFloor();
  if (minStake < floor) {
    invalid(
      "TASK_STAKE_BELOW_FLOOR",
      `minimum stake ${minStake} is below the network floor of ${floor}`,
      `give a minStake of at least ${floor}`,
      {
        minStake: minStake.toString(),
        floor: floor.toString(),
      },
    );
  }
  const record = await ctx.repos.artifacts.find(body.baseModel);
  if (record?.public !== true) {
    invalid(
      "TASK_ARTIFACT_NOT_PUBLISHED",
      `baseModel ${body.baseModel} is not a published artifact`,
      "publish it first with PUT /artifacts/<content id> (flock fl create does this for you)",
      { field: "baseModel", id: body.baseModel },
    );
  }
  // A LoRA task's global model is its adapter (the base model stays frozen); a tabular task's, the model itself.
  const start =
    body.modelType === "lm-lora"
      ? await startLoraTask(ctx, body)
      : {
          globalModel: body.baseModel,
          size: layoutOf(await readArrays(ctx, body.baseModel)).size,
          seqLen: 1,
        };
  const size = start.size;
  const terms: Omit<FlTerms, "taskId" | "currentRound" | "acceptedRounds"> = {
    modelType: body.modelType,
    rounds: body.rounds,
    roundSeconds: body.roundSeconds,
    minParticipants: body.minParticipants,
    maxParticipants: body.maxParticipants,
    strategy: body.strategy,
    privacy: body.privacy,
    payRule: body.payRule,
    proposerFractionBps: body.proposerFractionBps ?? DEFAULT_PROPOSER_FRACTION_BPS,
    trainConfig: body.trainConfig ?? {},
    globalModel: start.globalModel,
    remainingPool: pool,
  };
  const joinDeadline = new Date(body.joinDeadline);
  const operator = await ctx.chain.isOperator(creator);
  const draft = await withTransaction(ctx.db, async (tx) => {
    const task = await tx.tasks.create({
      kind: "federated",
      title: body.title,
      description: body.description,
      type: body.modelType,
      baseModel: body.baseModel,
      contextLength: start.seqLen,
      maxTrainableParams: size,
      // A federated task has no training set and no hidden set: its base model stands in for the first, and a
      // commitment to its terms (hashed canonical JSON) for the second.
      trainingSetId: body.baseModel,
      validationCommitment: contentId(
        canonicalJson({ kind: "flock-fl-terms/1", creator, ...terms, remainingPool: pool.toString() }),
      ),
      submissionDeadline: joinDeadline,
      endTime: new Date(joinDeadline.getTime() + body.rounds * flPhases(body.roundSeconds).roundMs),
      rewardWeight: weight,
      minStake,
      minLockDays: body.minLockDays,
      creator,
    });
    await tx.fl.createTerms({ taskId: task.id, ...terms });
    await tx.funding.create(task.id, pool);
    if (operator && weight > 0n)
      await tx.funding.approve(task.id, { weight, by: creator, at: ctx.clock.now() });
    return task;
  });
  if (operator && pool === 0n) return openTask(ctx, draft.id);
  return draft;
}
