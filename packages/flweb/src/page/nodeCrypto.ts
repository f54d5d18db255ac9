import { sha256 } from "@noble/hashes/sha2";

/**
 * The part of node:crypto the shared packages call on the participant's path in a browser: sha256 hashing
 * (content ids of downloaded models) and random bytes. The bundle maps node:crypto here; its other
 * functions throw FL_WEB_NODE_ONLY.
 */

const encoder = new TextEncoder();

interface Hash {
  update(data: Uint8Array | string): Hash;
  digest(): Uint8Array;
  digest(encoding: "hex"): string;
}

export function createHash(algorithm: string): Hash {
  if (algorithm !== "sha256") {
    throw Object.assign(new Error(`createHash("${algorithm}") is not available in the browser`), {
      code: "FL_WEB_NODE_ONLY",
    });
  }
  const hash = sha256.create();
  const api = {
    update(data: Uint8Array | string) {
      hash.update(typeof data === "string" ? encoder.encode(data) : data);
      return api;
    },
    digest(encoding?: "hex") {
      const out = hash.digest();
      if (encoding !== "hex") return out;
      return Array.from(out, (b) => b.toString(16).padStart(2, "0")).join("");
    },
  } as Hash;
  return api;
}

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let at = 0; at < length; at += 65_536) {
    globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65_536)));
  }
  return out;
}
