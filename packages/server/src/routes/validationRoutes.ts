import type { Readable } from "node:stream";
import { AuthError, ConflictError, contentIdToBytes32, NotFoundError, wire } from "@flock/core";
import type { Assignment } from "@flock/store";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { binaryResponse, errorResponses, idParamsSchema } from "../http/schemas.ts";
import { sendArtifact } from "../http/sendArtifact.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { taskJson } from "../tasks/taskJson.ts";
import {
  assignmentArtifact,
  assignmentHiddenSet,
  commitScore,
  refuseAssignment,
  revealScore,
} from "../validation/assignmentDuties.ts";
import { assignmentJson } from "../validation/assignmentJson.ts";

/** The signed headers kept with a reveal, verbatim (the audit checks scores against them). */
const SIGNED_HEADERS = [
  "x-flock-address",
  "x-flock-timestamp",
  "x-flock-nonce",
  "x-flock-signature",
  "content-type",
] as const;

function signedRequestOf(request: FastifyRequest): { headers: Record<string, string>; body: string } {
  // The method and path are what the signature covers besides the headers (HTTP/2-style pseudo-headers).
  const headers: Record<string, string> = { ":method": request.method, ":path": request.url };
  for (const name of SIGNED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  return { headers, body: (request.rawBody ?? Buffer.alloc(0)).toString("utf8") };
}

/** The caller's open assignment, or why not: a validator gets hidden data only with an assignment (SPEC §2.1). */
/** Validation routes: the hidden set's upload by the creator, assignments, their data, score reports. */
export function registerValidationRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.put<{ Params: { id: number }; Body: Readable }>(
    "/tasks/:id/validation-set",
    {
      config: {
        auth: true,
        // The bytes must be the set the task committed to at creation.
        streamedBodyHash: async (request: FastifyRequest) => {
          const { id } = request.params as { id: number };
          const task = await ctx.repos.tasks.get(id);
          return contentIdToBytes32(task.validationCommitment);
        },
      },
      schema: {
        summary: "Upload the hidden validation set (the task's creator; must hash to its commitment)",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: wireRef("Task"), ...errorResponses },
      },
    },
    async (request) => {
      const task = await ctx.repos.tasks.get(request.params.id);
      if (signerOf(request) !== task.creator) {
        throw new AuthError("NOT_CREATOR", `only task ${task.id}'s creator may upload its validation set`, {
          hint: "sign the upload with the key that created the task",
          details: { taskId: task.id },
        });
      }
      const stored = await ctx.artifacts.put(request.body, {
        maxBytes: ctx.config.maxArtifactBytes,
        expectedId: task.validationCommitment,
      });
      await ctx.repos.artifacts.record({
        id: stored.id,
        size: stored.size,
        mediaType: "application/octet-stream",
      });
      return taskJson(await ctx.repos.tasks.setHiddenValidationSet(task.id, stored.id));
    },
  );

  app.get<{ Params: { id: number } }>(
    "/tasks/:id/validation-set",
    {
      schema: {
        summary:
          "The hidden validation set, public once the task is finalized (SPEC §2.1: revealed for audits)",
        tags: ["validation"],
        params: idParamsSchema,
        response: { 200: binaryResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const task = await ctx.repos.tasks.get(request.params.id);
      if (task.status !== "finalized" && task.status !== "closed") {
        throw new ConflictError(
          "VALIDATION_SET_SEALED",
          `task ${task.id} is ${task.status}; its set is revealed at the end`,
          {
            hint: "validators get the set through an assignment; everyone else after finalization",
            details: { taskId: task.id, status: task.status },
          },
        );
      }
      if (task.hiddenValidationSetId === null) {
        throw new NotFoundError(
          "VALIDATION_SET_MISSING",
          `task ${task.id}'s creator never uploaded its validation set`,
          {
            hint: "the commitment on the task is all there is to check",
            details: { taskId: task.id },
          },
        );
      }
      return sendArtifact(ctx, reply, task.hiddenValidationSetId);
    },
  );

  app.get<{ Querystring: { status?: Assignment["status"] } }>(
    "/assignments",
    {
      config: { auth: true },
      schema: {
        summary: "The signer's assignments (open by default)",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: {
            status: wire.AssignmentStatus,
          },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: wireRef("Assignment") } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const items = await ctx.repos.assignments.listForValidator(
        signerOf(request),
        request.query.status ?? "open",
      );
      return { items: items.map(assignmentJson) };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/assignments/:id/validation-set",
    {
      config: { auth: true },
      schema: {
        summary: "The hidden validation set, only to the validator of an open assignment",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: binaryResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendArtifact(ctx, reply, await assignmentHiddenSet(ctx, signerOf(request), request.params.id)),
  );

  app.get<{ Params: { id: number } }>(
    "/assignments/:id/artifact",
    {
      config: { auth: true },
      schema: {
        summary: "The submitted artifact to evaluate, only to the validator of an open assignment",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: binaryResponse, ...errorResponses },
      },
    },
    async (request, reply) =>
      sendArtifact(ctx, reply, await assignmentArtifact(ctx, signerOf(request), request.params.id)),
  );

  app.post<{ Params: { id: number }; Body: wire.RefuseAssignmentRequest }>(
    "/assignments/:id/refuse",
    {
      config: { auth: true },
      schema: {
        summary:
          "Refuse an assignment with a recorded reason; the submission goes to another validator and the refusal can be disputed",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: wireRef("RefuseAssignmentRequest"),
        response: { 200: wireRef("Assignment"), ...errorResponses },
      },
    },
    async (request) =>
      assignmentJson(await refuseAssignment(ctx, signerOf(request), request.params.id, request.body)),
  );

  app.post<{ Params: { id: number }; Body: wire.ScoreCommitmentRequest }>(
    "/assignments/:id/commitment",
    {
      config: { auth: true },
      schema: {
        summary:
          "Commit to an assignment's score (SPEC §2.1 commit-reveal): protocol's scoreCommitment(assignmentId, score, salt), before the task's end",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: wireRef("ScoreCommitmentRequest"),
        response: { 201: wireRef("Assignment"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const committed = await commitScore(ctx, signerOf(request), request.params.id, request.body);
      return reply.status(201).send(assignmentJson(committed));
    },
  );

  app.post<{ Params: { id: number }; Body: wire.ScoreRevealRequest }>(
    "/assignments/:id/reveal",
    {
      config: { auth: true },
      schema: {
        summary:
          "Reveal a committed score with its salt and evidence, after the task's end and before its reveal window closes; the signed request is kept verbatim",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: wireRef("ScoreRevealRequest"),
        response: { 201: wireRef("Score"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const revealed = await revealScore(
        ctx,
        signerOf(request),
        request.params.id,
        request.body,
        signedRequestOf(request),
      );
      const answer: wire.Score = {
        assignmentId: revealed.assignmentId,
        submissionId: revealed.submissionId,
        validator: revealed.validator as wire.Address,
        score: revealed.score.toString(),
        evidence: revealed.evidence,
        reportedAt: revealed.reportedAt.toISOString(),
      };
      return reply.status(201).send(answer);
    },
  );
}
