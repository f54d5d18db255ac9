import { ConflictError, NotFoundError } from "@flock/core";
import type { Job } from "@flock/store";
import type { FastifyInstance } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { DISPUTE_JOB, findDecision, readDisputePayload } from "../disputes/disputeRecords.ts";
import { openDispute, submissionConsensus } from "../disputes/openDispute.ts";
import { addressSchema, errorResponses, idParamsSchema } from "../http/schemas.ts";

const nullableText = { type: ["string", "null"] } as const;

const disputeSchema = {
  type: "object",
  required: [
    "id",
    "taskId",
    "submissionId",
    "validator",
    "requestedBy",
    "consensus",
    "toleranceScore",
    "status",
  ],
  properties: {
    id: { type: "integer" },
    taskId: { type: "integer" },
    submissionId: { type: "integer" },
    validator: { type: "string" },
    requestedBy: nullableText,
    /** Fixed point (1e18 = 1.0), as decimal strings. */
    consensus: nullableText,
    toleranceScore: { type: "string" },
    /** pending / running: not re-run yet; decided: see verdict; failed: the re-run could not be done. */
    status: { type: "string", enum: ["pending", "running", "decided", "failed"] },
    verdict: { type: ["string", "null"], enum: ["dishonest", "not-proven", null] },
    reason: nullableText,
    reportedScore: nullableText,
    rerunScore: nullableText,
    evidenceId: nullableText,
    /** gmFLOCK base units seized on-chain, when proven dishonest. */
    slashed: nullableText,
    prover: nullableText,
    error: nullableText,
  },
} as const;

/** A dispute as served: its job's payload and state, plus the outcome from its `dispute.decided` event. */
async function disputeJson(ctx: AppContext, job: Job) {
  const dispute = readDisputePayload(job);
  const decision = await findDecision(ctx.repos, job.id);
  const outcome = decision?.payload ?? {};
  const text = (value: unknown) => (typeof value === "string" ? value : null);
  return {
    id: job.id,
    taskId: dispute.taskId,
    submissionId: dispute.submissionId,
    validator: dispute.validator,
    requestedBy: dispute.requestedBy,
    consensus: dispute.consensus?.toString() ?? null,
    toleranceScore: dispute.toleranceScore.toString(),
    // The job appends its decision before it completes, so a job without one is pending, running or failed.
    status: decision !== undefined ? "decided" : job.status === "done" ? "pending" : job.status,
    verdict: text(outcome.verdict),
    reason: text(outcome.reason),
    reportedScore: text(outcome.reportedScore),
    rerunScore: text(outcome.rerunScore),
    evidenceId: text(outcome.evidenceId),
    slashed: text(outcome.slashed),
    prover: text(outcome.prover),
    error: decision === undefined ? job.lastError : null,
  };
}

/**
 * Refereed disputes (SPEC §2.1): anyone may ask for a re-run of a finalized task's score; the signer is the
 * dispute's `requestedBy` and, when the re-run proves the score dishonest, its prover (SPEC §3: 10% of the
 * slash to whoever proved it). A pair already disputed returns that dispute (and keeps its prover).
 */
export function registerDisputeRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: { submissionId: number; validator: string } }>(
    "/disputes",
    {
      config: { auth: true },
      schema: {
        summary:
          "Ask for a refereed re-run of one validator's score (or refusal) of a finalized task's submission; the re-run replaces the consensus, every validator off it is slashed and the asker is paid the prover's 10%",
        tags: ["disputes"],
        security: [{ flockSignature: [] }],
        body: {
          type: "object",
          additionalProperties: false,
          required: ["submissionId", "validator"],
          properties: { submissionId: { type: "integer", minimum: 1 }, validator: addressSchema },
        },
        response: { 202: disputeSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const validator = request.body.validator.toLowerCase();
      const submission = await ctx.repos.submissions.get(request.body.submissionId);
      const task = await ctx.repos.tasks.get(submission.taskId);
      if (task.status !== "finalized" && task.status !== "closed") {
        throw new ConflictError("DISPUTE_TOO_EARLY", `task ${task.id} is ${task.status}`, {
          hint: "scores are disputed once the task is finalized (the hidden set is then public to re-run)",
          details: { taskId: task.id, status: task.status },
        });
      }
      const { scores, consensus } = await submissionConsensus(ctx, task.id, submission.id);
      const refused = (await ctx.repos.assignments.listForSubmission(submission.id)).some(
        (a) => a.validator === validator && a.status === "refused",
      );
      const scored = scores.some((s) => s.validator === validator) && consensus !== undefined;
      if (!scored && !refused) {
        throw new NotFoundError(
          "SCORE_NOT_FOUND",
          `${validator} neither scored nor refused submission ${submission.id}`,
          {
            hint: "dispute a score a validator revealed, or a refusal: see the task's epoch report and events",
            details: { submissionId: submission.id, validator },
          },
        );
      }
      const job = await openDispute(ctx, {
        taskId: task.id,
        submissionId: submission.id,
        validator,
        consensus: consensus ?? null,
        toleranceScore: ctx.config.disputeToleranceScore,
        requestedBy: signerOf(request),
      });
      return reply.status(202).send(await disputeJson(ctx, job));
    },
  );

  app.get<{ Params: { id: number } }>(
    "/disputes/:id",
    {
      schema: {
        summary: "A dispute: its status and, once decided, the verdict, scores, evidence and slash",
        tags: ["disputes"],
        params: idParamsSchema,
        response: { 200: disputeSchema, ...errorResponses },
      },
    },
    async (request) => {
      const notFound = () =>
        new NotFoundError("DISPUTE_NOT_FOUND", `dispute ${request.params.id} does not exist`, {
          hint: "use the id POST /disputes returned, or one from a dispute.opened event",
          details: { disputeId: request.params.id },
        });
      let job: Job;
      try {
        job = await ctx.repos.jobs.get(request.params.id);
      } catch (error) {
        if (error instanceof NotFoundError) throw notFound();
        throw error;
      }
      if (job.kind !== DISPUTE_JOB) throw notFound();
      return disputeJson(ctx, job);
    },
  );
}
