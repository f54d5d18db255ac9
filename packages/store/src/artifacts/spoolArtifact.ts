import { open, rm } from "node:fs/promises";
import { type ContentId, contentHasher, StorageError } from "@flock/core";
import { artifactHashMismatch, artifactTooLarge } from "./artifactErrors.ts";
import type { ArtifactInfo, ArtifactSource } from "./artifactStore.ts";

/** An artifact source as a sequence of byte chunks (strings from a text-mode stream become UTF-8). */
export async function* chunksOf(source: ArtifactSource): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  for await (const chunk of source as AsyncIterable<unknown>) {
    if (chunk instanceof Uint8Array) yield chunk;
    else if (typeof chunk === "string") yield Buffer.from(chunk);
    else {
      throw new StorageError(
        "ARTIFACT_CHUNK_INVALID",
        "an artifact stream produced something other than bytes",
        {
          hint: "stream Uint8Array/Buffer chunks (not object mode)",
        },
      );
    }
  }
}

export interface SpoolOptions {
  maxBytes: number;
  /** The content id the bytes must hash to, already parsed. */
  expected: ContentId | undefined;
  /** fsync the file before returning (for a file that becomes the stored copy). */
  sync: boolean;
}

/**
 * Write an upload to a new file at `path` while hashing and counting it. Refuses as soon as the count
 * crosses `maxBytes` (an oversized upload is never read to its end) and refuses bytes that do not hash
 * to `expected`; on any failure the file is removed before the error is rethrown.
 */
export async function spoolArtifact(
  source: ArtifactSource,
  path: string,
  options: SpoolOptions,
): Promise<ArtifactInfo> {
  const file = await open(path, "wx");
  try {
    const hasher = contentHasher();
    let size = 0;
    for await (const chunk of chunksOf(source)) {
      size += chunk.byteLength;
      // Stop as soon as the limit is crossed: an oversized upload is never read to its end.
      if (size > options.maxBytes) throw artifactTooLarge(options.maxBytes);
      hasher.update(chunk);
      await file.write(chunk);
    }
    if (options.sync) await file.sync();
    const id = hasher.digest();
    if (options.expected !== undefined && id !== options.expected)
      throw artifactHashMismatch(options.expected, id);
    await file.close();
    return { id, size };
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}
