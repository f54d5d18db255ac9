import type { Readable } from "node:stream";
import { contentIdToBytes32, type wire } from "@flock/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { errorResponses, idParamsSchema } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";
import type { StakeIndexer } from "../stakes/stakeIndexer.ts";
import { commitSubmission } from "../submissions/commitSubmission.ts";
import { submissionJson } from "../submissions/submissionJson.ts";
import { uploadSubmissionArtifact } from "../submissions/uploadSubmissionArtifact.ts";

/** Submission routes: commit a hash before the deadline, then stream the artifact that hashes to it. */
export function registerSubmissionRoutes(app: FastifyInstance, ctx: AppContext, indexer: StakeIndexer): void {
  app.post<{ Params: { id: number }; Body: wire.CommitSubmissionRequest }>(
    "/tasks/:id/submissions",
    {
      config: { auth: true },
      schema: {
        summary:
          "Commit a submission's artifact hash (trainers staked on the task, before its deadline); a new hash replaces the trainer's earlier commit",
        tags: ["submissions"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: wireRef("CommitSubmissionRequest"),
        response: { 201: wireRef("Submission"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const submission = await commitSubmission(
        ctx,
        indexer,
        signerOf(request),
        request.params.id,
        request.body,
      );
      return reply.status(201).send(submissionJson(submission));
    },
  );

  app.get<{ Params: { id: number } }>(
    "/tasks/:id/submissions",
    {
      schema: {
        summary: "A task's submissions, in commit order",
        tags: ["submissions"],
        params: idParamsSchema,
        response: {
          200: {
            type: "object",
            required: ["items"],
            properties: { items: { type: "array", items: wireRef("Submission") } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await ctx.repos.tasks.get(request.params.id);
      const all = await ctx.repos.submissions.listAll({ taskId: request.params.id });
      return { items: all.map(submissionJson) };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/submissions/:id",
    {
      schema: {
        summary: "One submission",
        tags: ["submissions"],
        params: idParamsSchema,
        response: { 200: wireRef("Submission"), ...errorResponses },
      },
    },
    async (request) => submissionJson(await ctx.repos.submissions.get(request.params.id)),
  );

  app.put<{ Params: { id: number }; Body: Readable }>(
    "/submissions/:id/artifact",
    {
      config: {
        auth: true,
        // The signature covers the committed hash; the artifact store refuses bytes that do not match it.
        streamedBodyHash: async (request: FastifyRequest) => {
          const { id } = request.params as { id: number };
          return contentIdToBytes32((await ctx.repos.submissions.get(id)).commitHash);
        },
      },
      schema: {
        summary:
          "Upload the committed artifact (application/octet-stream, streamed, size-limited, hash-checked)",
        tags: ["submissions"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        response: { 200: wireRef("Submission"), ...errorResponses },
      },
    },
    async (request) =>
      submissionJson(await uploadSubmissionArtifact(ctx, signerOf(request), request.params.id, request.body)),
  );
}
