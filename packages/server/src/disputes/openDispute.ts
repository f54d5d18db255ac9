import { type ScoreDirection, scoreDirectionOf, stakeWeightedMedian } from "@flock/protocol";
import type { Job } from "@flock/store";
import { withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { jobInput } from "../jobs/jobPayloads.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";
import {
  DISPUTE_EVENTS,
  DISPUTE_JOB,
  type DisputePayload,
  disputeJobPayload,
  disputeKey,
  findDispute,
} from "./disputeRecords.ts";
import { offConsensusScores, type ValidatorScore } from "./offConsensus.ts";

/** The scores of a task's submissions with their validators' stakes, by submission. */
async function stakedScores(ctx: AppContext, taskId: number): Promise<Map<number, ValidatorScore[]>> {
  const stakeOf = new Map((await countedStakes(ctx.repos, taskId)).map((s) => [s.account, s.amount]));
  const bySubmission = new Map<number, ValidatorScore[]>();
  for (const s of await ctx.repos.scores.listForTask(taskId)) {
    const entry = { validator: s.validator, score: s.score, stake: stakeOf.get(s.validator) ?? 0n };
    bySubmission.set(s.submissionId, [...(bySubmission.get(s.submissionId) ?? []), entry]);
  }
  return bySubmission;
}

/**
 * A submission's consensus: the stake-weighted median (κ = 0.5) the epoch and the leaderboard use; undefined
 * when nobody with stake scored it (no consensus to be off).
 */
export function consensusOf(
  scores: readonly ValidatorScore[],
  direction: ScoreDirection,
): bigint | undefined {
  if (scores.length === 0 || scores.every((s) => s.stake === 0n)) return undefined;
  return stakeWeightedMedian(scores, direction);
}

/** The consensus of one submission of a task, from the store. */
export async function submissionConsensus(
  ctx: AppContext,
  taskId: number,
  submissionId: number,
): Promise<{ scores: ValidatorScore[]; consensus: bigint | undefined }> {
  const scores = (await stakedScores(ctx, taskId)).get(submissionId) ?? [];
  const direction = scoreDirectionOf((await ctx.repos.tasks.get(taskId)).type);
  return { scores, consensus: consensusOf(scores, direction) };
}

/** Open a dispute (a keyed job, due now) unless the pair already has one; returns the dispute's job. */
export async function openDispute(ctx: AppContext, dispute: DisputePayload): Promise<Job> {
  const existing = await findDispute(ctx.repos, dispute.submissionId, dispute.validator);
  if (existing !== undefined) return existing;
  return withTransaction(ctx.db, async (tx) => {
    const job = await tx.jobs.schedule(
      jobInput(DISPUTE_JOB, {
        key: disputeKey(dispute.submissionId, dispute.validator),
        runAt: ctx.clock.now(),
        payload: disputeJobPayload(dispute),
      }),
    );
    await tx.events.append(DISPUTE_EVENTS.opened, {
      disputeId: job.id,
      taskId: dispute.taskId,
      submissionId: dispute.submissionId,
      validator: dispute.validator.toLowerCase(),
      requestedBy: dispute.requestedBy,
    });
    return job;
  });
}

/**
 * At finalization, every score off its submission's consensus beyond the tolerance gets a dispute
 * (SPEC §2.1: such a score is evidence; the re-run decides), and so does every refusal (a refusal is no
 * verdict on the artifact: the re-run shows whether it could be scored). Every accepted submission of the
 * task is read, page by page. Idempotent: pairs already disputed are kept.
 */
export async function openDisputesForTask(ctx: AppContext, taskId: number): Promise<Job[]> {
  const accepted = new Set(
    (await ctx.repos.submissions.listAll({ taskId, status: "accepted" })).map((s) => s.id),
  );
  const opened: Job[] = [];
  const direction = scoreDirectionOf((await ctx.repos.tasks.get(taskId)).type);
  const scored = await stakedScores(ctx, taskId);
  const open = (submissionId: number, validator: string, consensus: bigint | null) =>
    openDispute(ctx, {
      taskId,
      submissionId,
      validator,
      consensus,
      toleranceScore: ctx.config.disputeToleranceScore,
      requestedBy: null,
    });
  for (const [submissionId, scores] of scored) {
    if (!accepted.has(submissionId)) continue;
    const consensus = consensusOf(scores, direction);
    if (consensus === undefined) continue;
    for (const off of offConsensusScores(scores, consensus, ctx.config.disputeToleranceScore)) {
      opened.push(await open(submissionId, off.validator, consensus));
    }
  }
  for (const refusal of await ctx.repos.assignments.listForTask(taskId, { status: "refused" })) {
    if (!accepted.has(refusal.submissionId)) continue;
    const consensus = consensusOf(scored.get(refusal.submissionId) ?? [], direction) ?? null;
    opened.push(await open(refusal.submissionId, refusal.validator, consensus));
  }
  return opened;
}
