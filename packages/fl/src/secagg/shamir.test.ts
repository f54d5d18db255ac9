import { describe, expect, it } from "vitest";
import {
  bytesToField,
  combineShares,
  FIELD_PRIME,
  fieldToBytes,
  lagrangeAtZero,
  randomFieldElement,
  splitSecret,
} from "./shamir.ts";

/** Miller–Rabin with the first twelve primes as bases (deterministic far beyond 2^127 − 1's size class). */
function isProbablePrime(n: bigint): boolean {
  const modPow = (b: bigint, e: bigint, m: bigint): bigint => {
    let r = 1n;
    let x = b % m;
    while (e > 0n) {
      if (e & 1n) r = (r * x) % m;
      x = (x * x) % m;
      e >>= 1n;
    }
    return r;
  };
  let d = n - 1n;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  for (const a of [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n]) {
    let x = modPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    let composite = true;
    for (let i = 1; i < s; i++) {
      x = (x * x) % n;
      if (x === n - 1n) {
        composite = false;
        break;
      }
    }
    if (composite) return false;
  }
  return true;
}

describe("Shamir secret sharing over GF(2^127 − 1)", () => {
  it("works in a prime field", () => {
    expect(isProbablePrime(FIELD_PRIME)).toBe(true);
    expect(isProbablePrime(FIELD_PRIME - 2n)).toBe(false);
  });

  it("matches a hand-computed example: f(x) = 5 + 3x + 2x², t = 3", () => {
    // f(1) = 10, f(2) = 19, f(3) = 32, f(4) = 49
    const shares = splitSecret(5n, [1, 2, 3, 4], 3, [3n, 2n]);
    expect(shares.map((s) => s.y)).toEqual([10n, 19n, 32n, 49n]);
    expect(combineShares([shares[0]!, shares[2]!, shares[3]!])).toBe(5n);
    // λ at 0 for x = 1, 2, 3 is (3, −3, 1)
    expect(lagrangeAtZero([1, 2, 3])).toEqual([3n, FIELD_PRIME - 3n, 1n]);
  });

  it("recovers a random secret from any t shares and not from t − 1", () => {
    const secret = randomFieldElement();
    const xs = Array.from({ length: 9 }, (_, i) => i + 1);
    const shares = splitSecret(secret, xs, 5);
    for (const pick of [
      [0, 1, 2, 3, 4],
      [4, 5, 6, 7, 8],
      [0, 2, 4, 6, 8],
    ]) {
      expect(combineShares(pick.map((i) => shares[i]!))).toBe(secret);
    }
    expect(combineShares(shares.slice(0, 4))).not.toBe(secret);
    // All nine shares lie on the same degree-4 polynomial.
    expect(combineShares(shares)).toBe(secret);
  });

  it("a single altered share changes the reconstruction", () => {
    const secret = randomFieldElement();
    const shares = splitSecret(secret, [1, 2, 3], 3);
    const tampered = [shares[0]!, { x: 2, y: (shares[1]!.y + 1n) % FIELD_PRIME }, shares[2]!];
    expect(combineShares(tampered)).not.toBe(secret);
  });

  it("round-trips field elements through 16 bytes and refuses values beyond the prime", () => {
    const v = randomFieldElement();
    expect(bytesToField(fieldToBytes(v))).toBe(v);
    expect(() => bytesToField(new Uint8Array(16).fill(0xff))).toThrow(/beyond the prime/);
    expect(() => splitSecret(1n, [1, 2], 3)).toThrow(
      expect.objectContaining({ code: "FL_SECAGG_THRESHOLD_INVALID" }),
    );
  });
});
