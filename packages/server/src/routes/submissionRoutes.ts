import type { Readable } from "node:stream";
import { AuthError, ConflictError, contentIdToBytes32 } from "@flock/core";
import { withTransaction } from "@flock/store";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { contentIdSchema, errorResponses, idParamsSchema } from "../http/schemas.ts";
import { wireRef } from "../http/wireSchemas.ts";
import { jobInput } from "../jobs/jobPayloads.ts";
import { requireStake } from "../stakes/requireStake.ts";
import type { StakeIndexer } from "../stakes/stakeIndexer.ts";
import { findNearDuplicate } from "../submissions/findNearDuplicate.ts";
import { SLASH_COPY_JOB } from "../submissions/slashCopy.ts";
import { submissionJson } from "../submissions/submissionJson.ts";
import { assignSubmission, taskSeed } from "../validation/assignSubmission.ts";

/** Submission routes: commit a hash before the deadline, then stream the artifact that hashes to it. */
export function registerSubmissionRoutes(app: FastifyInstance, ctx: AppContext, indexer: StakeIndexer): void {
  app.post<{ Params: { id: number }; Body: { commitHash: string } }>(
    "/tasks/:id/submissions",
    {
      config: { auth: true },
      schema: {
        summary:
          "Commit a submission's artifact hash (trainers staked on the task, before its deadline); a new hash replaces the trainer's earlier commit",
        tags: ["submissions"],
        security: [{ flockSignature: [] }],
        params: idParamsSchema,
        body: {
          type: "object",
          additionalProperties: false,
          required: ["commitHash"],
          properties: { commitHash: contentIdSchema },
        },
        response: { 201: wireRef("Submission"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const taskId = request.params.id;
      const trainer = signerOf(request);
      await requireStake(ctx, indexer, { taskId, account: trainer, role: "trainer" });
      const submission = await withTransaction(ctx.db, async (tx) => {
        // The store refuses a commit after the deadline or on a task that is not open.
        // One live submission per trainer: a new hash replaces the trainer's earlier commit (never scored).
        const created = await tx.submissions.commit({
          taskId,
          trainer,
          commitHash: request.body.commitHash,
          committedAt: ctx.clock.now(),
        });
        const replaced = await tx.submissions.replacedBy(created.id);
        if (replaced !== undefined) {
          await tx.events.append("submission.replaced", {
            taskId,
            submissionId: replaced.id,
            replacedBy: created.id,
            trainer,
          });
        }
        await tx.events.append("submission.committed", {
          taskId,
          submissionId: created.id,
          trainer,
          ...(replaced === undefined ? {} : { replaces: replaced.id }),
        });
        return created;
      });
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
    async (request) => {
      const submission = await ctx.repos.submissions.get(request.params.id);
      if (signerOf(request) !== submission.trainer) {
        throw new AuthError("NOT_SUBMITTER", `submission ${submission.id} belongs to ${submission.trainer}`, {
          hint: "upload with the key that committed the submission",
          details: { submissionId: submission.id },
        });
      }
      if (submission.status === "replaced") {
        throw new ConflictError(
          "SUBMISSION_REPLACED",
          `submission ${submission.id} was replaced by submission ${submission.replacedBy}`,
          {
            hint: "upload the artifact of your latest commit; a replaced one is never scored",
            details: { submissionId: submission.id, replacedBy: submission.replacedBy },
          },
        );
      }
      if (submission.status !== "committed") {
        throw new ConflictError(
          "ARTIFACT_ALREADY_UPLOADED",
          `submission ${submission.id} is ${submission.status}`,
          {
            hint: "each commit takes one upload; commit again for a new artifact",
            details: { submissionId: submission.id, status: submission.status },
          },
        );
      }
      const task = await ctx.repos.tasks.get(submission.taskId);
      if (task.status !== "open" && task.status !== "validating") {
        throw new ConflictError("TASK_NOT_ACCEPTING_UPLOADS", `task ${task.id} is ${task.status}`, {
          hint: "upload committed artifacts before the task ends",
          details: { taskId: task.id, status: task.status },
        });
      }
      // A late reveal (the task already validates) is assigned at once, with the task's seed.
      const seed = task.status === "validating" ? await taskSeed(ctx, task.id) : undefined;
      const stored = await ctx.artifacts.put(request.body, {
        maxBytes: ctx.config.maxArtifactBytes,
        expectedId: submission.commitHash,
      });
      // Near-identical copies are found before the transaction: it reads artifacts, and PGlite's one
      // connection must not wait on files.
      const near = await findNearDuplicate(ctx.repos, ctx.artifacts, submission, stored.id);
      const result = await withTransaction(ctx.db, async (tx) => {
        await tx.artifacts.record({
          id: stored.id,
          size: stored.size,
          mediaType: "application/octet-stream",
        });
        await tx.submissions.recordUpload(submission.id, {
          artifactId: stored.id,
          size: stored.size,
          uploadedAt: ctx.clock.now(),
        });
        // SPEC §2.1: a byte-identical later submission is a copy (invalid, slashable). Earlier = committed first.
        const [exact] = await tx.submissions.findEarlierWithContent(task.id, stored.id, submission.id);
        const copy =
          exact !== undefined
            ? { original: exact, reason: `byte-identical to submission ${exact.id} (${stored.id})` }
            : near !== undefined
              ? {
                  original: near.original,
                  reason: `weight delta near-identical to submission ${near.original.id} (cosine ${near.cosine.toFixed(6)} ≥ 0.995)`,
                }
              : undefined;
        const original = copy?.original;
        const settled =
          copy === undefined
            ? await tx.submissions.accept(submission.id)
            : await tx.submissions.markCopy(submission.id, { copyOf: copy.original.id, reason: copy.reason });
        if (settled.status === "accepted" && seed !== undefined)
          await assignSubmission(ctx, tx, settled, seed);
        if (settled.status === "copy") {
          await tx.jobs.schedule(
            jobInput(SLASH_COPY_JOB, {
              key: `submission:${settled.id}:slash`,
              runAt: ctx.clock.now(),
              payload: { submissionId: settled.id },
            }),
          );
        }
        await tx.events.append("submission.uploaded", {
          taskId: task.id,
          submissionId: submission.id,
          status: settled.status,
          ...(original === undefined ? {} : { copyOf: original.id }),
        });
        return settled;
      });
      return submissionJson(result);
    },
  );
}
