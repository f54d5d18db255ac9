import type { Readable } from "node:stream";
import {
  AuthError,
  ConflictError,
  contentIdToBytes32,
  NotFoundError,
  opensCommitment,
  wire,
} from "@flock/core";
import { type Assignment, withTransaction } from "@flock/store";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { binaryResponse, errorResponses, idParamsSchema } from "../http/schemas.ts";
import { sendArtifact } from "../http/sendArtifact.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { taskJson } from "../tasks/taskJson.ts";
import { assignmentJson } from "../validation/assignmentJson.ts";
import { assignSubmission } from "../validation/assignSubmission.ts";
import { requireCommitOpen, requireRevealOpen } from "../validation/scoreWindows.ts";

const commitmentBody = {
  type: "object",
  additionalProperties: false,
  required: ["commitment"],
  properties: {
    /** protocol's scoreCommitment(assignmentId, score, salt). */
    commitment: { type: "string", pattern: "^0x[0-9a-f]{64}$" },
  },
} as const;

const revealBody = {
  type: "object",
  additionalProperties: false,
  required: ["score", "salt", "evidence"],
  properties: {
    /** Fixed point, 1e18 = 1.0, signed (protocol's scoreFromMetric, or scoreOrWorst for +∞). */
    score: wire.FixedPointScore,
    salt: { type: "string", pattern: "^0x[0-9a-f]{32,128}$" },
    evidence: { type: "object", additionalProperties: true },
  },
} as const;

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
async function openAssignmentOf(ctx: AppContext, request: FastifyRequest, id: number): Promise<Assignment> {
  const assignment = await ctx.repos.assignments.get(id);
  if (assignment.validator !== signerOf(request)) {
    throw new AuthError("NOT_ASSIGNED", `assignment ${id} is not yours`, {
      hint: "list your assignments with GET /assignments and use one of them",
      details: { assignmentId: id },
    });
  }
  if (assignment.status !== "open") {
    throw new ConflictError("ASSIGNMENT_CLOSED", `assignment ${id} is ${assignment.status}`, {
      hint: "hidden data and artifacts are served only for open assignments",
      details: { assignmentId: id, status: assignment.status },
    });
  }
  return assignment;
}

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
    async (request, reply) => {
      const assignment = await openAssignmentOf(ctx, request, request.params.id);
      const submission = await ctx.repos.submissions.get(assignment.submissionId);
      const task = await ctx.repos.tasks.get(submission.taskId);
      if (task.hiddenValidationSetId === null) {
        throw new NotFoundError(
          "VALIDATION_SET_MISSING",
          `task ${task.id}'s creator has not uploaded its validation set`,
          {
            hint: "retry later; the creator must upload the set matching the task's commitment",
            details: { taskId: task.id },
          },
        );
      }
      return sendArtifact(ctx, reply, task.hiddenValidationSetId);
    },
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
    async (request, reply) => {
      const assignment = await openAssignmentOf(ctx, request, request.params.id);
      const submission = await ctx.repos.submissions.get(assignment.submissionId);
      return sendArtifact(ctx, reply, submission.artifactId!);
    },
  );

  app.post<{ Params: { id: number }; Body: { reason: string } }>(
    "/assignments/:id/refuse",
    {
      config: { auth: true },
      schema: {
        summary:
          "Refuse an assignment with a recorded reason; the submission goes to another validator and the refusal can be disputed",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["reason"],
          properties: { reason: { type: "string", minLength: 1, maxLength: 2000 } },
        },
        response: { 200: wireRef("Assignment"), ...errorResponses },
      },
    },
    async (request) => {
      const assignment = await openAssignmentOf(ctx, request, request.params.id);
      const refused = await withTransaction(ctx.db, async (tx) => {
        const updated = await tx.assignments.refuse(assignment.id, request.body.reason);
        const submission = await tx.submissions.get(assignment.submissionId);
        const task = await tx.tasks.get(submission.taskId);
        await tx.events.append("assignment.refused", {
          taskId: task.id,
          assignmentId: assignment.id,
          submissionId: assignment.submissionId,
          validator: assignment.validator,
          reason: request.body.reason,
        });
        // A refusal is no verdict on the submission (SPEC §2.1: an unscorable artifact is scored +∞, not
        // refused): the draw goes on to a validator not drawn before, and the refusal stays disputable.
        if (task.status === "validating" && ctx.clock.now().getTime() <= task.endTime.getTime()) {
          await assignSubmission(ctx, tx, submission, assignment.seed);
        }
        return updated;
      });
      return assignmentJson(refused);
    },
  );

  app.post<{ Params: { id: number }; Body: { commitment: string } }>(
    "/assignments/:id/commitment",
    {
      config: { auth: true },
      schema: {
        summary:
          "Commit to an assignment's score (SPEC §2.1 commit-reveal): protocol's scoreCommitment(assignmentId, score, salt), before the task's end",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: commitmentBody,
        response: { 201: wireRef("Assignment"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const assignment = await openAssignmentOf(ctx, request, request.params.id);
      const committed = await withTransaction(ctx.db, async (tx) => {
        const submission = await tx.submissions.get(assignment.submissionId);
        requireCommitOpen(ctx, await tx.tasks.get(submission.taskId));
        const updated = await tx.assignments.commitScore(assignment.id, {
          validator: assignment.validator,
          commitment: request.body.commitment,
          committedAt: ctx.clock.now(),
        });
        // The event says who committed, never to what: nothing of a score is visible before the reveals.
        await tx.events.append("score.committed", {
          taskId: submission.taskId,
          assignmentId: assignment.id,
          submissionId: assignment.submissionId,
          validator: assignment.validator,
        });
        return updated;
      });
      return reply.status(201).send(assignmentJson(committed));
    },
  );

  app.post<{
    Params: { id: number };
    Body: { score: string; salt: string; evidence: Record<string, unknown> };
  }>(
    "/assignments/:id/reveal",
    {
      config: { auth: true },
      schema: {
        summary:
          "Reveal a committed score with its salt and evidence, after the task's end and before its reveal window closes; the signed request is kept verbatim",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: revealBody,
        response: { 201: wireRef("Score"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const assignment = await ctx.repos.assignments.get(request.params.id);
      if (assignment.validator !== signerOf(request)) {
        throw new AuthError("NOT_ASSIGNED", `assignment ${assignment.id} is not yours`, {
          hint: "reveal only the scores you committed",
          details: { assignmentId: assignment.id },
        });
      }
      const submission = await ctx.repos.submissions.get(assignment.submissionId);
      requireRevealOpen(ctx, await ctx.repos.tasks.get(submission.taskId));
      if (assignment.status !== "committed" || assignment.commitment === null) {
        throw new ConflictError(
          "REVEAL_WITHOUT_COMMITMENT",
          `assignment ${assignment.id} is ${assignment.status}`,
          {
            hint: "only a committed score can be revealed, once",
            details: { assignmentId: assignment.id, status: assignment.status },
          },
        );
      }
      const score = BigInt(request.body.score);
      if (
        !opensCommitment(assignment.commitment, {
          assignmentId: assignment.id,
          score,
          salt: request.body.salt,
        })
      ) {
        throw new ConflictError(
          "REVEAL_MISMATCH",
          `the revealed score and salt do not open assignment ${assignment.id}'s commitment`,
          {
            hint: "reveal exactly the score and salt you committed to; a commitment cannot be changed",
            details: { assignmentId: assignment.id, commitment: assignment.commitment },
          },
        );
      }
      const revealed = await withTransaction(ctx.db, async (tx) => {
        const stored = await tx.scores.reveal({
          assignmentId: assignment.id,
          validator: assignment.validator,
          score,
          salt: request.body.salt,
          evidence: request.body.evidence,
          reportedAt: ctx.clock.now(),
          request: signedRequestOf(request),
        });
        await tx.events.append("score.revealed", {
          taskId: submission.taskId,
          assignmentId: assignment.id,
          submissionId: assignment.submissionId,
          validator: assignment.validator,
        });
        return stored;
      });
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
