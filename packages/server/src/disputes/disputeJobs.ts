import { canonicalJson, contentIdToBytes32 } from "@flock/core";
import { isWorstScore, scoreDirectionOf, scoreOrWorst } from "@flock/protocol";
import { type Assignment, withTransaction } from "@flock/store";
import type { AppContext } from "../deps.ts";
import type { JobHandler } from "../scheduler/scheduler.ts";
import {
  DISPUTE_EVENTS,
  DISPUTE_JOB,
  type DisputePayload,
  findDecision,
  readDisputePayload,
} from "./disputeRecords.ts";
import { judgeScore, type ScoreJudgement } from "./judgeScore.ts";

/** Reason recorded with a slash for a score proven dishonest. */
export const DISHONEST_SCORE = "dishonest score";
/** Reason recorded with a slash for a refusal of an artifact the referee scored. */
export const FALSE_REFUSAL = "false refusal";

function missing(what: string, id: number): Error {
  return new Error(`cannot referee submission ${id}: ${what}`);
}

/** Who is paid the prover's 10% of a slash: the participant who asked for the dispute, else the coordinator. */
export function proverOf(ctx: AppContext, dispute: DisputePayload, account = dispute.validator): string {
  const requester = dispute.requestedBy?.toLowerCase() ?? null;
  // Nobody is paid for proving their own fault (protocol's SELF_PROOF rule).
  if (requester !== null && requester !== account.toLowerCase()) return requester;
  return ctx.chain.coordinator ?? ctx.config.treasury;
}

/** One validator's report on the disputed submission, as the referee judges it. */
interface Judged {
  validator: string;
  assignment: number;
  /** The revealed score, or null for a refusal. */
  reported: bigint | null;
  judgement: ScoreJudgement;
  evidence: { id: string; size: number };
}

/**
 * The referee (SPEC §2.1 refereed dispute, §3 slashing). The evaluation is bit-reproducible, so the
 * re-run — the same `scoreSubmission` validators run, converted with `scoreOrWorst` — is the truth:
 * - it becomes the submission's score (`refereed_scores`), which settlement uses instead of the consensus
 *   (`refereedScore`), so a wrong consensus is corrected, a colluding majority's included;
 * - every validator of the submission whose revealed score is off it beyond τ, and every validator that
 *   refused an artifact it scores, is slashed `dishonestScoreSlashBps` of its task stake on-chain.
 * Each judged report gets an evidence record (canonical JSON: task, submission, artifact, base model,
 * hidden set, validator, assignment, report, re-run metric and score, consensus, τ, verdict, reason),
 * published as a public artifact; its sha256 is the on-chain evidence hash. The record does not depend on
 * which dispute ran it, so a second dispute of the same submission slashes nobody twice (the chain refuses
 * an evidence hash used before, the gateway returns the first slash). The prover (paid 10%, SPEC §3) is
 * whoever asked with a signed `POST /disputes`, else the coordinator.
 */
export function disputeJobHandlers(ctx: AppContext): Record<string, JobHandler> {
  return {
    [DISPUTE_JOB]: async (job) => {
      const dispute = readDisputePayload(job);
      if ((await findDecision(ctx.repos, job.id)) !== undefined) return;
      const submission = await ctx.repos.submissions.get(dispute.submissionId);
      const task = await ctx.repos.tasks.get(submission.taskId);
      const direction = scoreDirectionOf(task.type);
      const scores = (await ctx.repos.scores.listForTask(task.id)).filter(
        (s) => s.submissionId === submission.id,
      );
      const refusals = (await ctx.repos.assignments.listForSubmission(submission.id)).filter(
        (a): a is Assignment => a.status === "refused",
      );
      const disputedValidator = dispute.validator.toLowerCase();
      if (
        !scores.some((s) => s.validator === disputedValidator) &&
        !refusals.some((a) => a.validator === disputedValidator)
      ) {
        throw missing(`${dispute.validator} neither scored nor refused it`, submission.id);
      }
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
        maxArtifactBytes: ctx.config.maxArtifactBytes,
      });
      const rerun = scoreOrWorst(metric, direction);
      const rerunScorable = !isWorstScore(rerun, direction);

      const reports = [
        ...scores.map((s) => ({ validator: s.validator, assignment: s.assignmentId, reported: s.score })),
        ...refusals.map((a) => ({ validator: a.validator, assignment: a.id, reported: null })),
      ];
      const judged: Judged[] = [];
      for (const report of reports) {
        const judgement = judgeScore({
          reported: report.reported,
          rerun,
          rerunScorable,
          toleranceScore: dispute.toleranceScore,
        });
        // Only the disputed validator's record is published when it is not proven; every proven fault is.
        if (judgement.verdict !== "dishonest" && report.validator !== disputedValidator) continue;
        const bytes = new TextEncoder().encode(
          canonicalJson({
            kind: "refereed-score",
            taskId: task.id,
            submission: submission.id,
            artifact: submission.artifactId,
            baseModel: task.baseModel,
            hiddenSet: task.hiddenValidationSetId,
            validator: report.validator,
            assignment: report.assignment,
            reportedScore: report.reported === null ? "refused" : report.reported.toString(),
            rerunMetric: String(metric),
            rerunScore: rerun.toString(),
            consensus: dispute.consensus?.toString() ?? null,
            toleranceScore: dispute.toleranceScore.toString(),
            verdict: judgement.verdict,
            reason: judgement.reason,
          }),
        );
        const evidence = await ctx.artifacts.put(bytes, { maxBytes: bytes.length });
        judged.push({ ...report, judgement, evidence: { id: evidence.id, size: evidence.size } });
      }

      const slashed = new Map<string, bigint>();
      for (const j of judged) {
        if (j.judgement.verdict !== "dishonest") continue;
        // Another dispute of this submission already slashed it with this very evidence: nothing to send.
        const earlier = (await ctx.repos.slashes.list({ taskId: task.id, account: j.validator })).find(
          (s) => s.evidenceId === j.evidence.id,
        );
        if (earlier !== undefined) {
          slashed.set(j.validator, earlier.amount);
          continue;
        }
        const { amount } = await ctx.chain.slash({
          taskId: task.id,
          account: j.validator,
          fractionBps: ctx.config.dishonestScoreSlashBps,
          evidenceHash: contentIdToBytes32(j.evidence.id),
          prover: proverOf(ctx, dispute, j.validator),
        });
        slashed.set(j.validator, amount);
      }
      const own = judged.find((j) => j.validator === disputedValidator)!;
      await withTransaction(ctx.db, async (tx) => {
        await tx.scores.recordRefereed({
          submissionId: submission.id,
          score: rerun,
          disputeId: job.id,
          evidenceId: own.evidence.id,
          decidedAt: ctx.clock.now(),
        });
        for (const j of judged) {
          // Published (GET /artifacts/:id) so that anyone can check it against the on-chain evidence hash.
          await tx.artifacts.publish({
            id: j.evidence.id,
            size: j.evidence.size,
            mediaType: "application/json",
            publisher: ctx.chain.coordinator ?? ctx.config.treasury,
          });
          const amount = slashed.get(j.validator);
          if (amount === undefined || amount === 0n) continue;
          const recorded = await tx.slashes.list({ taskId: task.id, account: j.validator });
          if (recorded.some((s) => s.evidenceId === j.evidence.id)) continue;
          const reason = j.reported === null ? FALSE_REFUSAL : DISHONEST_SCORE;
          const prover = proverOf(ctx, dispute, j.validator);
          await tx.slashes.record({
            epoch: null,
            taskId: task.id,
            account: j.validator,
            amount,
            reason,
            evidenceId: j.evidence.id,
            prover,
          });
          await tx.events.append("slash.recorded", {
            taskId: task.id,
            submissionId: submission.id,
            account: j.validator,
            amount: amount.toString(),
            evidenceId: j.evidence.id,
            reason,
            prover,
          });
        }
        const ownSlash = slashed.get(disputedValidator);
        await tx.events.append(DISPUTE_EVENTS.decided, {
          disputeId: job.id,
          taskId: task.id,
          submissionId: submission.id,
          validator: disputedValidator,
          verdict: own.judgement.verdict,
          reason: own.judgement.reason,
          reportedScore: own.reported === null ? "refused" : own.reported.toString(),
          rerunScore: rerun.toString(),
          consensus: dispute.consensus?.toString() ?? null,
          evidenceId: own.evidence.id,
          slashed: ownSlash?.toString() ?? null,
          prover: ownSlash === undefined ? null : proverOf(ctx, dispute),
          // Everyone the re-run proved wrong on this submission, the disputed validator included.
          slashedValidators: [...slashed.entries()].map(([account, amount]) => ({
            account,
            amount: amount.toString(),
          })),
        });
      });
    },
  };
}
