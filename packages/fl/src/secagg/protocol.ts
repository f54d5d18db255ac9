import { ProtocolError } from "@flock/core";
import type { ExchangeBody, NodeId } from "../messages.ts";
import { commit } from "./crypto.ts";
import { utf8 } from "./primitives.ts";
import { FIELD_BYTES } from "./shamir.ts";

/**
 * The messages of one SecAgg+ round (Bell et al. 2020, Fig. 2; Flower's four stages). Bodies are plain data:
 * ids, numbers, byte arrays, and the masked vector as 32-bit words.
 *
 * 0. setup — server → node: the node's neighbourhood, threshold and encoding; node → server: two X25519
 *    public keys (pk1 for pairwise masks, pk2 for encrypting shares).
 * 1. share-keys — server → node: its live neighbours' keys; node → server: a Shamir share of its self-mask
 *    seed b and of its mask-key seed s for each neighbour, encrypted to that neighbour, plus commitments.
 * 2. masked-input — server → node: the ciphertexts addressed to it (and the global model); node → server:
 *    its encoded update plus PRG(b) plus ±PRG(pairwise key) for each neighbour, modulo 2^32.
 * 3. unmask — server → node: which neighbours sent their input and which dropped; node → server: its
 *    shares of b for the first and of s for the second. The server recovers the seeds and removes the masks.
 */
export type SecAggStage = "setup" | "share-keys" | "masked-input" | "unmask";

export const STAGES: readonly SecAggStage[] = ["setup", "share-keys", "masked-input", "unmask"];

export type SetupBody = {
  readonly stage: "setup";
  /** The node's neighbourhood, itself included, sorted: holder h's share is at x = 1 + its index. */
  readonly neighbourhood: readonly NodeId[];
  readonly threshold: number;
  readonly clippingRange: number;
  readonly quantizationRange: number;
  readonly modulusRange: number;
  readonly maxWeight: number;
  /** Encode the update minus the global arrays it was trained from (more precision) rather than the model. */
  readonly relative: boolean;
  /** Send the number of examples and the training metrics in the clear (as Flower does). */
  readonly revealMetrics: boolean;
};

export type SetupReply = {
  readonly pk1: Uint8Array;
  readonly pk2: Uint8Array;
};

export type ShareKeysBody = {
  readonly stage: "share-keys";
  /** Live neighbours (the node included) and their public keys, aligned. */
  readonly ids: readonly NodeId[];
  readonly pk1: readonly Uint8Array[];
  readonly pk2: readonly Uint8Array[];
};

export type ShareKeysReply = {
  /** Aligned with the `ids` the node was sent (itself included): the encrypted shares (empty for itself). */
  readonly ciphertexts: readonly Uint8Array[];
  /** Per holder: commitment to its b-share ‖ commitment to its s-share (16 + 16 bytes). */
  readonly commitments: readonly Uint8Array[];
  /** SHA-256 commitment to the self-mask seed b. */
  readonly seedCommitment: Uint8Array;
};

export type MaskedInputBody = {
  readonly stage: "masked-input";
  /** The dealers whose shares this node holds, their ciphertexts and their commitments for this node. */
  readonly from: readonly NodeId[];
  readonly ciphertexts: readonly Uint8Array[];
  readonly commitments: readonly Uint8Array[];
};

export type MaskedInputReply = {
  /** [1, q_weight, q(x₀), …] + masks, modulo the modulus. */
  readonly masked: Uint32Array;
  /** Dealers whose share failed to decrypt or did not match its commitment. */
  readonly accused: readonly NodeId[];
  readonly numExamples?: number;
  readonly metrics?: Readonly<Record<string, number>>;
};

export type UnmaskBody = {
  readonly stage: "unmask";
  /** Neighbours whose masked input is in the sum (their self-mask seeds are wanted). */
  readonly survivors: readonly NodeId[];
  /** Neighbours that shared keys but sent no input (their mask-key seeds are wanted). */
  readonly dropped: readonly NodeId[];
};

export type UnmaskReply = {
  /** Aligned with `survivors`: this node's share of each one's b (empty where it holds no good share). */
  readonly seedShares: readonly Uint8Array[];
  /** Aligned with `dropped`: this node's share of each one's s (empty where it holds no good share). */
  readonly keyShares: readonly Uint8Array[];
};

/** Bytes of one share's commitment (each of the b- and s-shares). */
export const SHARE_COMMITMENT_BYTES = 16;

/** The commitment to dealer's share `kind` ("b" or "s") held by `holder`: SHA-256 cut to 16 bytes. */
export function shareCommitment(
  round: number,
  dealer: NodeId,
  holder: NodeId,
  kind: "b" | "s",
  share: Uint8Array,
): Uint8Array {
  return commit(["flock-secagg/share", String(round), dealer, holder, kind, share], SHARE_COMMITMENT_BYTES);
}

/** The commitment to a dealer's self-mask seed. */
export function seedCommitment(round: number, dealer: NodeId, seed: Uint8Array): Uint8Array {
  return commit(["flock-secagg/seed", String(round), dealer, seed]);
}

/**
 * The AES-GCM nonce of the share `dealer` sends `holder`: both directions of a pair use the pair's one key,
 * each exactly once per round, so the direction alone makes the nonce unique (and it need not travel).
 */
export function shareNonce(dealer: NodeId, holder: NodeId): Uint8Array {
  const nonce = new Uint8Array(12);
  nonce[0] = dealer < holder ? 1 : 2;
  return nonce;
}

/** Associated data binding a share ciphertext to its round, dealer and holder. */
export function shareAad(round: number, dealer: NodeId, holder: NodeId): string {
  return JSON.stringify(["flock-secagg/share", round, dealer, holder]);
}

/** HKDF info of the key two nodes derive for `purpose` (symmetric in the pair). */
export function pairInfo(purpose: "mask" | "share", round: number, a: NodeId, b: NodeId): string {
  return JSON.stringify([`flock-secagg/${purpose}`, round, a < b ? a : b, a < b ? b : a]);
}

/** HKDF info of a node's self-mask key. */
export function selfMaskInfo(round: number, node: NodeId): string {
  return JSON.stringify(["flock-secagg/self", round, node]);
}

/** HKDF info of a node's mask key pair derived from its seed s. */
export function maskKeyInfo(round: number, node: NodeId): string {
  return JSON.stringify([round, node]);
}

/** Plaintext of a share ciphertext: b-share ‖ s-share. */
export const SHARE_PLAINTEXT_BYTES = 2 * FIELD_BYTES;

/**
 * The size of a body on the wire in a compact binary encoding: byte arrays and typed arrays by their bytes,
 * strings by their UTF-8 bytes, numbers as 8, booleans as 1, plus the keys of objects. Used to count the
 * upload of secure aggregation against a plain float32 update.
 */
export function bodyBytes(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (typeof value === "string") return utf8(value).byteLength;
  if (typeof value === "number") return 8;
  if (typeof value === "boolean") return 1;
  if (Array.isArray(value)) return value.reduce((a: number, v) => a + bodyBytes(v), 0);
  if (typeof value === "object") {
    let total = 0;
    for (const [k, v] of Object.entries(value)) total += utf8(k).byteLength + bodyBytes(v);
    return total;
  }
  return 0;
}

/** Readers that check a body's shape, throwing FL_SECAGG_BAD_MESSAGE with what was wrong. */
export function bad(what: string, hint = "send the body the SecAgg+ stage defines"): ProtocolError {
  return new ProtocolError("FL_SECAGG_BAD_MESSAGE", what, { hint });
}

export function idList(body: ExchangeBody, key: string): NodeId[] {
  const v = body[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw bad(`${key} must be a list of node ids`);
  if (new Set(v).size !== v.length) throw bad(`${key} lists a node twice`);
  return v as NodeId[];
}

export function bytesList(
  body: ExchangeBody,
  key: string,
  length: number,
  byteLength?: number,
  orEmpty = false,
): Uint8Array[] {
  const v = body[key];
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => x instanceof Uint8Array)) {
    throw bad(`${key} must be a list of ${length} byte arrays`);
  }
  if (
    byteLength !== undefined &&
    v.some((x: Uint8Array) => x.length !== byteLength && !(orEmpty && x.length === 0))
  ) {
    throw bad(`${key} must hold ${byteLength}-byte values`);
  }
  return v as Uint8Array[];
}

export function bytesField(body: ExchangeBody, key: string, byteLength: number): Uint8Array {
  const v = body[key];
  if (!(v instanceof Uint8Array) || v.length !== byteLength) throw bad(`${key} must be ${byteLength} bytes`);
  return v;
}

export function numberField(body: ExchangeBody, key: string): number {
  const v = body[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`${key} must be a number`);
  return v;
}
