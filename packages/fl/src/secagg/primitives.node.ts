import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import type { SecAggPrimitives, X25519PrivateKey, X25519PublicKey } from "./primitives.ts";

/** SecAgg+'s primitives on node:crypto (OpenSSL): the coordinator's and Node participants' implementation. */

/** PKCS#8 DER prefix of a raw 32-byte X25519 private key (RFC 8410). */
const X25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
/** SPKI DER prefix of a raw 32-byte X25519 public key (RFC 8410). */
const X25519_SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
const ZERO_IV = Buffer.alloc(16);
/** Zero bytes to encrypt (AES-CTR of zeros is the keystream), grown as needed and never written. */
let zeros = Buffer.alloc(4096);

const privateKey = (key: X25519PrivateKey) => key as unknown as KeyObject;
const publicKey = (key: X25519PublicKey) => key as unknown as KeyObject;

export const primitives: SecAggPrimitives = {
  randomBytes: (length) => new Uint8Array(randomBytes(length)),

  x25519PrivateKey: (raw) =>
    createPrivateKey({
      key: Buffer.concat([X25519_PKCS8_PREFIX, raw]),
      format: "der",
      type: "pkcs8",
    }) as unknown as X25519PrivateKey,

  x25519PublicKeyOf(key) {
    const spki = createPublicKey(privateKey(key)).export({ format: "der", type: "spki" });
    return new Uint8Array(spki.subarray(spki.length - 32));
  },

  x25519PublicKey: (raw) =>
    createPublicKey({
      key: Buffer.concat([X25519_SPKI_PREFIX, raw]),
      format: "der",
      type: "spki",
    }) as unknown as X25519PublicKey,

  x25519(a, b) {
    try {
      return new Uint8Array(diffieHellman({ privateKey: privateKey(a), publicKey: publicKey(b) }));
    } catch {
      // OpenSSL refuses a low-order point (an all-zero secret); the caller refuses the zero secret itself.
      return new Uint8Array(32);
    }
  },

  hmacSha256(key, parts) {
    const hmac = createHmac("sha256", key);
    for (const part of parts) hmac.update(part);
    return new Uint8Array(hmac.digest());
  },

  sha256(parts) {
    const hash = createHash("sha256");
    for (const part of parts) hash.update(part);
    return new Uint8Array(hash.digest());
  },

  aesGcmSeal(key, nonce, plaintext, aad) {
    const cipher = createCipheriv("aes-256-gcm", key, nonce);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return new Uint8Array(Buffer.concat([body, cipher.getAuthTag()]));
  },

  aesGcmOpen(key, nonce, sealed, aad) {
    const tagAt = sealed.length - 16;
    const decipher = createDecipheriv("aes-256-gcm", key, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(tagAt));
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(0, tagAt)), decipher.final()]));
  },

  aesCtrKeystream(key, length) {
    const cipher = createCipheriv("aes-256-ctr", key, ZERO_IV);
    if (zeros.length < length) zeros = Buffer.alloc(length);
    const stream = cipher.update(zeros.subarray(0, length));
    return new Uint8Array(stream.buffer, stream.byteOffset, stream.byteLength);
  },
};
