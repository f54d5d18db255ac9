import { contentId, NotFoundError } from "@flock/core";
import { type FlockClient, uploadStream } from "@flock/sdk";
import type { CommandContext } from "../context.ts";
import { createProgress } from "../progress.ts";

/**
 * Publish public bytes (a base model, a training set) on the coordinator, with a progress bar; content the
 * coordinator already serves is not sent again. Returns the content id.
 */
export async function publishArtifact(
  ctx: CommandContext,
  api: FlockClient,
  bytes: Uint8Array,
  label: string,
): Promise<string> {
  const id = contentId(bytes);
  const published = await api.artifacts.info(id).then(
    () => true,
    (error: unknown) => {
      if (error instanceof NotFoundError || (error as { code?: string }).code === "ARTIFACT_NOT_PUBLIC")
        return false;
      throw error;
    },
  );
  if (published) return id;
  const bar = createProgress(ctx.io, `publishing ${label}`, bytes.length, "bytes");
  await api.artifacts.publish({
    stream: uploadStream(bytes, ({ bytes: sent }) => bar.update(sent)),
    contentId: id,
  });
  bar.finish(id.slice(0, 19));
  return id;
}
