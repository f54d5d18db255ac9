/**
 * The cryptographic primitives SecAgg+ is built from, behind one interface so the same protocol code runs in
 * Node (`primitives.node.ts`: node:crypto) and in a browser (`primitives.browser.ts`: the audited pure
 * JavaScript @noble libraries). `#secagg-primitives` (this package's `imports` field) picks one: the `browser`
 * condition of a bundler selects the browser file, everything else the Node one. Both give byte-identical
 * outputs (primitives.test.ts).
 */

declare const privateKeyBrand: unique symbol;
declare const publicKeyBrand: unique symbol;
/** An X25519 private key in the form the implementation works with (opaque outside it). */
export type X25519PrivateKey = { readonly [privateKeyBrand]: true };
/** An X25519 public key in the form the implementation works with (opaque outside it). */
export type X25519PublicKey = { readonly [publicKeyBrand]: true };

export interface SecAggPrimitives {
  /** `length` bytes from the platform's CSPRNG. */
  randomBytes(length: number): Uint8Array;
  /** The private key of 32 raw bytes (RFC 7748 clamps it when used). */
  x25519PrivateKey(raw: Uint8Array): X25519PrivateKey;
  /** The raw 32-byte public key of a private key. */
  x25519PublicKeyOf(privateKey: X25519PrivateKey): Uint8Array;
  /** The public key of 32 raw bytes. */
  x25519PublicKey(raw: Uint8Array): X25519PublicKey;
  /** The 32-byte shared secret X25519(a, B) (all zero for a low-order B). */
  x25519(privateKey: X25519PrivateKey, publicKey: X25519PublicKey): Uint8Array;
  /** HMAC-SHA256 of the concatenated parts. */
  hmacSha256(key: Uint8Array, parts: readonly Uint8Array[]): Uint8Array;
  /** SHA-256 of the concatenated parts. */
  sha256(parts: readonly Uint8Array[]): Uint8Array;
  /** AES-256-GCM: ciphertext ‖ 16-byte tag. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** The plaintext of an AES-256-GCM ciphertext ‖ tag; throws when it fails authentication. */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
  /** The first `length` bytes of the AES-256-CTR keystream from a zero counter block. */
  aesCtrKeystream(key: Uint8Array, length: number): Uint8Array;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
