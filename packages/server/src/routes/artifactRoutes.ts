import type { Readable } from "node:stream";
import {
  ConflictError,
  contentIdToBytes32,
  isFlockError,
  NotFoundError,
  parseContentId,
  StorageError,
  type wire,
} from "@flock/core";
import type { ArtifactRecord } from "@flock/store";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { signerOf } from "../auth/authHook.ts";
import type { AppContext } from "../deps.ts";
import { binaryResponse, contentIdSchema, errorResponses } from "../http/schemas.ts";
import { sendArtifact } from "../http/sendArtifact.ts";
import { wireRef } from "../http/wireSchemas.ts";

const artifactParams = {
  type: "object",
  required: ["contentId"],
  properties: { contentId: contentIdSchema },
} as const;

/** A public artifact's JSON form (core's `wire.PublicArtifact`). */
export function publicArtifactJson(record: ArtifactRecord): wire.PublicArtifact {
  return {
    id: record.id as wire.ContentId,
    size: record.size,
    mediaType: record.mediaType,
    publishedBy: record.publishedBy ?? "",
    createdAt: record.createdAt.toISOString(),
  };
}

function quotaExceeded(publisher: string, used: number, quota: number): StorageError {
  return new StorageError(
    "PUBLISHER_QUOTA_EXCEEDED",
    `${publisher} has published ${used} bytes; this artifact would take it past its quota of ${quota} bytes`,
    {
      hint: "publish fewer or smaller artifacts, reuse artifacts already public (same content id), or ask the coordinator's operator for a larger quota",
      details: { publisher, usedBytes: used, quotaBytes: quota },
    },
  );
}

function notPublic(id: string): NotFoundError {
  return new NotFoundError("ARTIFACT_NOT_PUBLIC", `no public artifact ${id} on this coordinator`, {
    hint: "publish it with PUT /artifacts/<content id>; submissions and hidden sets are served only to their assigned validators",
    details: { id },
  });
}

/**
 * The public record of an artifact that may be served to anyone: published, and not the hidden validation
 * set of any task (SPEC §2.1: the hidden set is served only with an assignment until the task is finalized).
 */
export async function publicArtifact(ctx: AppContext, id: string): Promise<ArtifactRecord> {
  const record = await ctx.repos.artifacts.find(id);
  if (record === undefined || !record.public || (await ctx.repos.tasks.isHiddenSet(id))) throw notPublic(id);
  return record;
}

/**
 * Public artifacts (SPEC §2.1, §4): base models and training sets, published by anyone who signs the upload
 * and served to anyone by content id. Uploads stream into the artifact store, which checks the bytes hash to
 * the id in the path, so a published id always names exactly its bytes.
 */
export function registerArtifactRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.put<{ Params: { contentId: string }; Body: Readable }>(
    "/artifacts/:contentId",
    {
      config: {
        auth: true,
        // The signature covers the content id; the store refuses bytes that do not hash to it.
        streamedBodyHash: async (request: FastifyRequest) => {
          const { contentId } = request.params as { contentId: string };
          return contentIdToBytes32(contentId);
        },
      },
      schema: {
        summary:
          "Publish a public artifact (a base model, a training set): application/octet-stream, streamed, hash-checked",
        tags: ["artifacts"],
        security: [{ flockSignature: [] }],
        params: artifactParams,
        response: { 200: wireRef("PublicArtifact"), 201: wireRef("PublicArtifact"), ...errorResponses },
      },
    },
    async (request, reply) => {
      const id = parseContentId(request.params.contentId);
      if (await ctx.repos.tasks.isHiddenSet(id)) {
        // The request body is left unread: its bytes are never stored.
        throw new ConflictError("HIDDEN_SET_NOT_PUBLISHABLE", `${id} is a task's hidden validation set`, {
          hint: "hidden sets are uploaded with PUT /tasks/<id>/validation-set and revealed when the task is finalized",
          details: { id },
        });
      }
      const existing = await ctx.repos.artifacts.find(id);
      const publisher = signerOf(request);
      // Each publisher stores at most its quota: the upload may use what is left of it.
      const used = existing?.public === true ? 0 : await ctx.repos.artifacts.bytesPublishedBy(publisher);
      const left = ctx.config.publisherQuotaBytes - used;
      if (left <= 0) throw quotaExceeded(publisher, used, ctx.config.publisherQuotaBytes);
      const maxBytes = Math.min(ctx.config.maxPublicArtifactBytes, left);
      const stored = await ctx.artifacts
        .put(request.body, { maxBytes, expectedId: id })
        .catch((error: unknown) => {
          if (
            isFlockError(error) &&
            error.code === "ARTIFACT_TOO_LARGE" &&
            maxBytes < ctx.config.maxPublicArtifactBytes
          )
            throw quotaExceeded(publisher, used, ctx.config.publisherQuotaBytes);
          throw error;
        });
      const record = await ctx.repos.artifacts.publish({
        id: stored.id,
        size: stored.size,
        mediaType: "application/octet-stream",
        publisher,
      });
      if (existing?.public !== true) {
        await ctx.repos.events.append("artifact.published", { id, size: stored.size, publisher });
      }
      return reply.status(existing?.public === true ? 200 : 201).send(publicArtifactJson(record));
    },
  );

  app.get<{ Params: { contentId: string } }>(
    "/artifacts/:contentId",
    {
      schema: {
        summary: "A public artifact's bytes (immutable: named by their sha256)",
        tags: ["artifacts"],
        params: artifactParams,
        response: {
          200: binaryResponse,
          304: { description: "Not modified (If-None-Match)", type: "null" },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const record = await publicArtifact(ctx, request.params.contentId);
      const etag = `"${record.id}"`;
      reply
        .header("etag", etag)
        .header("cache-control", "public, max-age=31536000, immutable")
        .header("x-flock-content-id", record.id);
      if (request.headers["if-none-match"] === etag) return reply.status(304).send();
      return sendArtifact(ctx, reply, record.id);
    },
  );

  app.get<{ Params: { contentId: string } }>(
    "/artifacts/:contentId/info",
    {
      schema: {
        summary: "A public artifact's size, media type and publisher",
        tags: ["artifacts"],
        params: artifactParams,
        response: { 200: wireRef("PublicArtifact"), ...errorResponses },
      },
    },
    async (request) => publicArtifactJson(await publicArtifact(ctx, request.params.contentId)),
  );
}
