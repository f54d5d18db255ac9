import { createHash } from "node:crypto";
import { ValidationError } from "./errors.ts";

/** A content id: `sha256:` followed by 64 lowercase hex digits. */
export type ContentId = `sha256:${string}`;

const CONTENT_ID = /^sha256:[0-9a-f]{64}$/;

/** The content id of some bytes (strings are hashed as UTF-8). */
export function contentId(data: Uint8Array | string): ContentId {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** The bare hex sha256 of some bytes (strings are hashed as UTF-8). */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

export function isContentId(value: unknown): value is ContentId {
  return typeof value === "string" && CONTENT_ID.test(value);
}

/** Validate a content id, throwing a clear error for anything else. */
export function parseContentId(value: unknown): ContentId {
  if (isContentId(value)) return value;
  throw new ValidationError("CONTENT_ID_MALFORMED", `${JSON.stringify(value)} is not a content id`, {
    hint: "content ids look like sha256:<64 lowercase hex digits>",
  });
}

/** Incremental hashing for streams: feed chunks, then read the content id. */
export function contentHasher(): { update(chunk: Uint8Array): void; digest(): ContentId } {
  const hash = createHash("sha256");
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => `sha256:${hash.digest("hex")}`,
  };
}
