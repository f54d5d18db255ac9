import { describe, expect, it } from "vitest";
import { hkdf } from "./crypto.ts";
import { primitives as web } from "./primitives.browser.ts";
import { primitives as native } from "./primitives.node.ts";
import { toHex, utf8 } from "./primitives.ts";

const hex = toHex;
const bytes = (n: number, seed: number) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 17) & 255);

describe("the browser primitives give the node:crypto primitives' bytes", () => {
  it("X25519: public keys and shared secrets agree across the two implementations", () => {
    for (let i = 0; i < 8; i++) {
      const a = native.randomBytes(32);
      const b = web.randomBytes(32);
      const pubA = native.x25519PublicKeyOf(native.x25519PrivateKey(a));
      expect(hex(web.x25519PublicKeyOf(web.x25519PrivateKey(a)))).toBe(hex(pubA));
      const pubB = web.x25519PublicKeyOf(web.x25519PrivateKey(b));
      expect(hex(native.x25519PublicKeyOf(native.x25519PrivateKey(b)))).toBe(hex(pubB));
      // Node's side with a and B, the browser's side with b and A: one secret.
      const left = native.x25519(native.x25519PrivateKey(a), native.x25519PublicKey(pubB));
      const right = web.x25519(web.x25519PrivateKey(b), web.x25519PublicKey(pubA));
      expect(hex(right)).toBe(hex(left));
    }
  });

  it("a low-order public key gives the all-zero secret in both (which agreeKey refuses)", () => {
    const zeroPoint = new Uint8Array(32);
    const priv = bytes(32, 3);
    expect(hex(web.x25519(web.x25519PrivateKey(priv), web.x25519PublicKey(zeroPoint)))).toBe("00".repeat(32));
    expect(hex(native.x25519(native.x25519PrivateKey(priv), native.x25519PublicKey(zeroPoint)))).toBe(
      "00".repeat(32),
    );
  });

  it("SHA-256 and HMAC-SHA256 over parts agree", () => {
    const parts = [utf8("flock"), bytes(100, 1), new Uint8Array(0), bytes(3, 2)];
    expect(hex(web.sha256(parts))).toBe(hex(native.sha256(parts)));
    expect(hex(web.hmacSha256(bytes(32, 4), parts))).toBe(hex(native.hmacSha256(bytes(32, 4), parts)));
    expect(hex(web.sha256([utf8("abc")]))).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("HKDF-SHA256 as crypto.ts builds it from HMAC: RFC 5869's test case 3 in both implementations", () => {
    // Extract with an all-zero 32-byte salt (HMAC pads an empty salt to the same key), expand one block.
    const hkdfWith = (p: typeof web, secret: Uint8Array, info: Uint8Array) =>
      p.hmacSha256(p.hmacSha256(new Uint8Array(32), [secret]), [info, Uint8Array.of(1)]);
    const ikm = new Uint8Array(22).fill(0x0b);
    const okm = "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d";
    expect(hex(hkdfWith(native, ikm, new Uint8Array(0)))).toBe(okm);
    expect(hex(hkdfWith(web, ikm, new Uint8Array(0)))).toBe(okm);
    expect(hex(hkdf(ikm, ""))).toBe(okm);
    expect(hex(hkdf(ikm, "flock-secagg/x25519/3"))).toBe(
      hex(hkdfWith(web, ikm, utf8("flock-secagg/x25519/3"))),
    );
  });

  it("AES-256-GCM: each opens what the other sealed, and refuses an altered ciphertext", () => {
    const key = bytes(32, 5);
    const nonce = bytes(12, 6);
    const aad = utf8("round 3 share from 0xaa to 0xbb");
    for (const size of [0, 1, 31, 64, 1000]) {
      const plaintext = bytes(size, size);
      const a = native.aesGcmSeal(key, nonce, plaintext, aad);
      const b = web.aesGcmSeal(key, nonce, plaintext, aad);
      expect(hex(b)).toBe(hex(a));
      expect(hex(web.aesGcmOpen(key, nonce, a, aad))).toBe(hex(plaintext));
      expect(hex(native.aesGcmOpen(key, nonce, b, aad))).toBe(hex(plaintext));
      const altered = Uint8Array.from(a);
      altered[0]! ^= 1;
      expect(() => web.aesGcmOpen(key, nonce, altered, aad)).toThrow();
      expect(() => native.aesGcmOpen(key, nonce, altered, aad)).toThrow();
      expect(() => web.aesGcmOpen(key, nonce, a, utf8("another aad"))).toThrow();
    }
  });

  it("AES-256-CTR mask expansion: the same keystream, also across block boundaries", () => {
    const key = bytes(32, 7);
    for (const length of [0, 4, 16, 17, 4096, 40_004]) {
      expect(hex(web.aesCtrKeystream(key, length))).toBe(hex(native.aesCtrKeystream(key, length)));
    }
  });

  it("random bytes have the length asked for, also beyond one getRandomValues call", () => {
    expect(web.randomBytes(70_000)).toHaveLength(70_000);
    expect(native.randomBytes(5)).toHaveLength(5);
    expect(hex(web.randomBytes(32))).not.toBe(hex(web.randomBytes(32)));
  });
});
