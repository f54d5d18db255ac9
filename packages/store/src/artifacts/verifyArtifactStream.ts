import { type Readable, Transform } from "node:stream";
import { type ContentId, contentHasher } from "@flock/core";
import { artifactCorrupt } from "./artifactErrors.ts";

/**
 * Pass an artifact's bytes through while hashing them; the stream fails with ARTIFACT_CORRUPT at its end
 * if they do not hash to `id` (content addressing lets every reader check what it got).
 */
export function verifyArtifactStream(stream: Readable, id: ContentId): Readable {
  const hasher = contentHasher();
  const verify = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hasher.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      const actual = hasher.digest();
      callback(actual === id ? null : artifactCorrupt(id, actual));
    },
  });
  stream.on("error", (error) => verify.destroy(error));
  return stream.pipe(verify);
}
