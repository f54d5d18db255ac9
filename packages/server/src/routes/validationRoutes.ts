import type { Readable } from "node:stream";
import { AuthError, ConflictError, NotFoundError } from "@flock/core";
import { type Assignment, withTransaction } from "@flock/store";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Hex } from "viem";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { errorResponses, idParamsSchema } from "../http/schemas.ts";
import { sendArtifact } from "../http/sendArtifact.ts";
import { taskJson, taskSchema } from "../tasks/taskJson.ts";
import { assignmentJson, assignmentSchema } from "../validation/assignmentJson.ts";

const scoreBody = {
  type: "object",
  additionalProperties: false,
  required: ["score", "evidence"],
  properties: {
    /** Fixed point, 1e18 = 1.0, signed (protocol's scoreFromMetric). */
    score: { type: "string", pattern: "^-?[0-9]{1,78}$" },
    evidence: { type: "object", additionalProperties: true },
  },
} as const;

const scoreSchema = {
  type: "object",
  required: ["assignmentId", "submissionId", "validator", "score", "evidence", "reportedAt"],
  properties: {
    assignmentId: { type: "integer" },
    submissionId: { type: "integer" },
    validator: { type: "string" },
    score: { type: "string" },
    evidence: { type: "object", additionalProperties: true },
    reportedAt: { type: "string", format: "date-time" },
  },
} as const;

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
          return `0x${task.validationCommitment.slice("sha256:".length)}` as Hex;
        },
      },
      schema: {
        summary: "Upload the hidden validation set (the task's creator; must hash to its commitment)",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: taskSchema, ...errorResponses },
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
        response: { ...errorResponses },
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
          properties: { status: { type: "string", enum: ["open", "reported", "timed_out", "refused"] } },
        },
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: assignmentSchema } },
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
        response: { ...errorResponses },
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
        response: { ...errorResponses },
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
        summary: "Refuse an assignment with a recorded reason (a malformed or oversized artifact)",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["reason"],
          properties: { reason: { type: "string", minLength: 1, maxLength: 2000 } },
        },
        response: { 200: assignmentSchema, ...errorResponses },
      },
    },
    async (request) => {
      const assignment = await openAssignmentOf(ctx, request, request.params.id);
      const refused = await withTransaction(ctx.db, async (tx) => {
        const updated = await tx.assignments.refuse(assignment.id, request.body.reason);
        await tx.events.append("assignment.refused", {
          assignmentId: assignment.id,
          submissionId: assignment.submissionId,
          validator: assignment.validator,
          reason: request.body.reason,
        });
        return updated;
      });
      return assignmentJson(refused);
    },
  );

  app.post<{ Params: { id: number }; Body: { score: string; evidence: Record<string, unknown> } }>(
    "/assignments/:id/score",
    {
      config: { auth: true },
      schema: {
        summary: "Report the score of an assignment, with its evidence (kept for disputes)",
        tags: ["validation"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: scoreBody,
        response: { 201: scoreSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const assignment = await openAssignmentOf(ctx, request, request.params.id);
      const score = await withTransaction(ctx.db, async (tx) => {
        const reported = await tx.scores.report({
          assignmentId: assignment.id,
          validator: assignment.validator,
          score: BigInt(request.body.score),
          evidence: request.body.evidence,
          reportedAt: ctx.clock.now(),
        });
        await tx.events.append("score.reported", {
          assignmentId: assignment.id,
          submissionId: assignment.submissionId,
          validator: assignment.validator,
        });
        return reported;
      });
      return reply.status(201).send({
        assignmentId: score.assignmentId,
        submissionId: score.submissionId,
        validator: score.validator,
        score: score.score.toString(),
        evidence: score.evidence,
        reportedAt: score.reportedAt.toISOString(),
      });
    },
  );
}
