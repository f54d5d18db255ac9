import { ctr, gcm } from "@noble/ciphers/aes";
import { x25519 } from "@noble/curves/ed25519";
import { hmac } from "@noble/hashes/hmac";
import { sha256 } from "@noble/hashes/sha2";
import type { SecAggPrimitives, X25519PrivateKey, X25519PublicKey } from "./primitives.ts";

/**
 * SecAgg+'s primitives in pure JavaScript (@noble/curves, @noble/hashes, @noble/ciphers) for browser
 * participants, with the Web Crypto CSPRNG. Same bytes as the node:crypto implementation.
 */

const raw = (key: X25519PrivateKey | X25519PublicKey) => key as unknown as Uint8Array;

const ZERO_IV = new Uint8Array(16);

export const primitives: SecAggPrimitives = {
  randomBytes(length) {
    const out = new Uint8Array(length);
    // getRandomValues fills at most 65,536 bytes per call.
    for (let at = 0; at < length; at += 65_536) {
      globalThis.crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65_536)));
    }
    return out;
  },
  x25519PrivateKey: (bytes) => Uint8Array.from(bytes) as unknown as X25519PrivateKey,
  x25519PublicKeyOf: (key) => x25519.getPublicKey(raw(key)),
  x25519PublicKey: (bytes) => Uint8Array.from(bytes) as unknown as X25519PublicKey,
  x25519(a, b) {
    try {
      return x25519.getSharedSecret(raw(a), raw(b));
    } catch {
      // @noble refuses a low-order point (an all-zero secret); the caller refuses the zero secret itself.
      return new Uint8Array(32);
    }
  },
  hmacSha256: (key, parts) => {
    const mac = hmac.create(sha256, key);
    for (const part of parts) mac.update(part);
    return mac.digest();
  },
  sha256: (parts) => {
    const hash = sha256.create();
    for (const part of parts) hash.update(part);
    return hash.digest();
  },
  aesGcmSeal: (key, nonce, plaintext, aad) => gcm(key, nonce, aad).encrypt(plaintext),
  aesGcmOpen: (key, nonce, sealed, aad) => gcm(key, nonce, aad).decrypt(sealed),
  aesCtrKeystream: (key, length) => ctr(key, ZERO_IV).encrypt(new Uint8Array(length)),
};
