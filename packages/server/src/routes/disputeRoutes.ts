import type { wire } from "@flock/core";
import type { FastifyInstance } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { disputeView, getDisputeJob, requestDispute } from "../disputes/requestDispute.ts";
import { errorResponses, idParamsSchema } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";

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

/**
 * Refereed disputes (SPEC §2.1): anyone may ask for a re-run of a finalized task's score; the signer is the
 * dispute's `requestedBy` and, when the re-run proves the score dishonest, its prover (SPEC §3: 10% of the
 * slash to whoever proved it). A pair already disputed returns that dispute (and keeps its prover).
 */
export function registerDisputeRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post<{ Body: wire.DisputeRequest }>(
    "/disputes",
    {
      config: { auth: true },
      schema: {
        summary:
          "Ask for a refereed re-run of one validator's score (or refusal) of a finalized task's submission; the re-run replaces the consensus, every validator off it is slashed and the asker is paid the prover's 10%",
        tags: ["disputes"],
        security: [{ flockSignature: [] }],
        body: wireRef("DisputeRequest"),
        response: { 202: disputeSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const job = await requestDispute(ctx, signerOf(request), request.body);
      return reply.status(202).send(await disputeView(ctx, job));
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
    async (request) => disputeView(ctx, await getDisputeJob(ctx, request.params.id)),
  );
}
