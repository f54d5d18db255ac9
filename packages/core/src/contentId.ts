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

/**
 * A content id as the bytes32 the chain and signatures carry (its sha256, 0x-prefixed): evidence hashes of
 * slashes, body hashes of signed uploads, report hashes. The one conversion; `bytes32ToContentId` is its inverse.
 */
export function contentIdToBytes32(id: string): `0x${string}` {
  return `0x${parseContentId(id).slice("sha256:".length)}`;
}

/** The content id of a bytes32 sha256 (a chain's evidence or report hash). */
export function bytes32ToContentId(hash: string): ContentId {
  return parseContentId(`sha256:${hash.slice(2).toLowerCase()}`);
}

/** Incremental hashing for streams: feed chunks, then read the content id. */
export function contentHasher(): { update(chunk: Uint8Array): void; digest(): ContentId } {
  const hash = createHash("sha256");
  return {
    update: (chunk) => void hash.update(chunk),
    digest: () => `sha256:${hash.digest("hex")}`,
  };
}
