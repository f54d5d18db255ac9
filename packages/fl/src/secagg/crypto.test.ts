import { describe, expect, it } from "vitest";
import {
  agreeKey,
  bytesEqual,
  expandMask,
  generateKeyPair,
  keyPairFromSeed,
  open,
  publicKeyObject,
  seal,
} from "./crypto.ts";
import { byteChiSquare } from "./testKit.ts";

describe("SecAgg+ primitives", () => {
  it("both sides of an X25519 exchange derive the same key, others do not", () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    const c = generateKeyPair();
    const ab = agreeKey(a.privateKey, publicKeyObject(b.publicKey), "info");
    expect(bytesEqual(ab, agreeKey(b.privateKey, publicKeyObject(a.publicKey), "info"))).toBe(true);
    expect(bytesEqual(ab, agreeKey(a.privateKey, publicKeyObject(c.publicKey), "info"))).toBe(false);
    expect(bytesEqual(ab, agreeKey(a.privateKey, publicKeyObject(b.publicKey), "other"))).toBe(false);
  });

  it("a key pair from a seed is reproducible, so a recovered seed can be checked against its public key", () => {
    const seed = new Uint8Array(16).fill(7);
    expect(bytesEqual(keyPairFromSeed(seed, "x").publicKey, keyPairFromSeed(seed, "x").publicKey)).toBe(true);
    expect(bytesEqual(keyPairFromSeed(seed, "x").publicKey, keyPairFromSeed(seed, "y").publicKey)).toBe(
      false,
    );
  });

  it("refuses a low-order public key", () => {
    const a = generateKeyPair();
    expect(() => agreeKey(a.privateKey, publicKeyObject(new Uint8Array(32)), "i")).toThrow();
  });

  it("authenticated encryption detects tampering and misrouting", () => {
    const key = new Uint8Array(32).fill(3);
    const nonce = new Uint8Array(12).fill(1);
    const sealed = seal(key, nonce, Uint8Array.of(1, 2, 3), "a→b");
    expect([...open(key, nonce, sealed, "a→b")]).toEqual([1, 2, 3]);
    const flipped = sealed.slice();
    flipped[1]! ^= 1;
    const bad = expect.objectContaining({ code: "FL_SECAGG_BAD_CIPHERTEXT" });
    expect(() => open(key, nonce, flipped, "a→b")).toThrow(bad);
    expect(() => open(key, nonce, sealed, "a→c")).toThrow(bad);
    expect(() => open(key, new Uint8Array(12).fill(2), sealed, "a→b")).toThrow(bad);
  });

  it("expands a seed into a reproducible, uniform mask below the modulus", () => {
    const key = new Uint8Array(32).fill(9);
    const a = expandMask(key, 50_000, 2 ** 32);
    expect(expandMask(key, 50_000, 2 ** 32)).toEqual(a);
    expect(expandMask(new Uint8Array(32).fill(8), 10, 2 ** 32)).not.toEqual(a.subarray(0, 10));
    // 200,000 bytes: χ²(255) stays below its 0.999 quantile (330.5) for a uniform stream.
    expect(byteChiSquare(new Uint8Array(a.buffer))).toBeLessThan(330.5);
    expect(expandMask(key, 1000, 2 ** 20).every((w) => w < 2 ** 20)).toBe(true);
  });
});
