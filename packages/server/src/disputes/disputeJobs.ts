import { canonicalJson } from "@flock/core";
import { scoreFromMetric } from "@flock/protocol";
import { withTransaction } from "@flock/store";
import type { Hex } from "viem";
import type { AppContext } from "../deps.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import {
  DISPUTE_EVENTS,
  DISPUTE_JOB,
  type DisputePayload,
  findDecision,
  readDisputePayload,
} from "./disputeRecords.ts";
import { judgeScore } from "./judgeScore.ts";

/** Reason recorded with a slash for a score proven dishonest. */
export const DISHONEST_SCORE = "dishonest score";

function missing(what: string, id: number): Error {
  return new Error(`cannot referee submission ${id}: ${what}`);
}

/** Who is paid the prover's 10% of a dispute's slash: the participant who asked for it, else the coordinator. */
export function proverOf(ctx: AppContext, dispute: DisputePayload): string {
  const requester = dispute.requestedBy?.toLowerCase() ?? null;
  // Nobody is paid for proving their own fault (protocol's SELF_PROOF rule).
  if (requester !== null && requester !== dispute.validator.toLowerCase()) return requester;
  return ctx.chain.coordinator ?? ctx.config.treasury;
}

/**
 * The referee (SPEC §2.1 refereed dispute, §3 slashing): re-run the disputed submission's evaluation on the
 * hidden set with the validators' exact settings, convert it with `scoreFromMetric`, and judge. The
 * evidence (submission, artifact, hidden set, reported and re-run scores, consensus) is published as
 * canonical JSON in the artifact store, decided or not; its sha256 is the on-chain evidence hash of a slash,
 * so a retried job slashes once. The prover (paid 10%, SPEC §3 "to whoever proved it") is whoever asked for
 * the re-run with a signed `POST /disputes`, named in the evidence; a dispute the coordinator opened at
 * finalization, or one the disputed validator asked about its own score, pays the coordinator.
 */
export function disputeJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [DISPUTE_JOB]: async (job) => {
      const dispute = readDisputePayload(job);
      if ((await findDecision(ctx.repos, job.id)) !== undefined) return;
      const submission = await ctx.repos.submissions.get(dispute.submissionId);
      const task = await ctx.repos.tasks.get(submission.taskId);
      const score = (await ctx.repos.scores.listForTask(task.id)).find(
        (s) => s.submissionId === submission.id && s.validator === dispute.validator,
      );
      if (score === undefined) throw missing(`${dispute.validator} never scored it`, submission.id);
      if (submission.artifactId === null) throw missing("it has no artifact", submission.id);
      if (task.hiddenValidationSetId === null)
        throw missing("the hidden set was never uploaded", submission.id);

      const [baseModel, artifact, validationSet] = await Promise.all([
        ctx.artifacts.read(task.baseModel),
        ctx.artifacts.read(submission.artifactId),
        ctx.artifacts.read(task.hiddenValidationSetId),
      ]);
      const { metric } = await ctx.evaluator.evaluate({
        taskType: task.type,
        baseModelId: task.baseModel,
        baseModel,
        artifact,
        validationSet,
        contextLength: task.contextLength,
        maxTrainableParams: task.maxTrainableParams,
      });
      const rerun = scoreFromMetric(metric);
      const prover = proverOf(ctx, dispute);
      const judgement = judgeScore({
        reported: score.score,
        rerun,
        consensus: dispute.consensus,
        toleranceScore: dispute.toleranceScore,
      });
      const evidenceBytes = new TextEncoder().encode(
        canonicalJson({
          kind: "refereed-score",
          dispute: job.id,
          taskId: task.id,
          submission: submission.id,
          artifact: submission.artifactId,
          baseModel: task.baseModel,
          hiddenSet: task.hiddenValidationSetId,
          validator: dispute.validator,
          assignment: score.assignmentId,
          reportedScore: score.score.toString(),
          rerunMetric: String(metric),
          rerunScore: rerun.toString(),
          consensus: dispute.consensus.toString(),
          toleranceScore: dispute.toleranceScore.toString(),
          verdict: judgement.verdict,
          reason: judgement.reason,
          requestedBy: dispute.requestedBy,
          prover,
        }),
      );
      const evidence = await ctx.artifacts.put(evidenceBytes, { maxBytes: evidenceBytes.length });
      let slashed: bigint | null = null;
      if (judgement.verdict === "dishonest") {
        const { amount } = await ctx.chain.slash({
          taskId: task.id,
          account: dispute.validator,
          fractionBps: ctx.config.dishonestScoreSlashBps,
          evidenceHash: `0x${evidence.id.slice("sha256:".length)}` as Hex,
          prover,
        });
        slashed = amount;
      }
      await withTransaction(ctx.db, async (tx) => {
        // Published (GET /artifacts/:id) so that anyone can check it against the on-chain evidence hash.
        await tx.artifacts.publish({
          id: evidence.id,
          size: evidence.size,
          mediaType: "application/json",
          publisher: ctx.chain.coordinator ?? ctx.config.treasury,
        });
        const recorded = await tx.slashes.list({ taskId: task.id, account: dispute.validator });
        if (slashed !== null && slashed > 0n && !recorded.some((s) => s.evidenceId === evidence.id)) {
          await tx.slashes.record({
            epoch: null,
            taskId: task.id,
            account: dispute.validator,
            amount: slashed,
            reason: DISHONEST_SCORE,
            evidenceId: evidence.id,
            prover,
          });
          await tx.events.append("slash.recorded", {
            taskId: task.id,
            submissionId: submission.id,
            account: dispute.validator,
            amount: slashed.toString(),
            evidenceId: evidence.id,
            reason: DISHONEST_SCORE,
            prover,
          });
        }
        await tx.events.append(DISPUTE_EVENTS.decided, {
          disputeId: job.id,
          taskId: task.id,
          submissionId: submission.id,
          validator: dispute.validator,
          verdict: judgement.verdict,
          reason: judgement.reason,
          reportedScore: score.score.toString(),
          rerunScore: rerun.toString(),
          consensus: dispute.consensus.toString(),
          evidenceId: evidence.id,
          slashed: slashed?.toString() ?? null,
          prover: slashed === null ? null : prover,
        });
      });
    },
  };
}
