import type { Readable } from "node:stream";
import type { FastifyReply } from "fastify";
import type { AppContext } from "../deps.ts";

/** Stream a stored artifact as the response body, with its size and content id. */
export async function sendArtifact(ctx: AppContext, reply: FastifyReply, id: string): Promise<FastifyReply> {
  const info = await ctx.artifacts.stat(id);
  const stream: Readable = await ctx.artifacts.get(id);
  return reply
    .header("content-type", "application/octet-stream")
    .header("content-length", info.size)
    .header("x-flock-content-id", id)
    .send(stream);
}
