import { ValidationError, WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isqrt, powWad } from "./fixedPoint.ts";
import { dyadicExponent, stakePower } from "./stakePower.ts";

describe("integer square root and stake^β", () => {
  it("isqrt is the exact floor of √n (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 80n }), (n) => {
        const r = isqrt(n);
        expect(r * r).toBeLessThanOrEqual(n);
        expect((r + 1n) * (r + 1n)).toBeGreaterThan(n);
      }),
      { numRuns: 500 },
    );
  });

  it("√ of a square number of FLOCK is exact: √(3600e18) = 60e9", () => {
    expect(stakePower(3600n * WAD, WAD / 2n)).toBe(60_000_000_000n);
  });

  it("reads β as k/2^n in lowest terms and rejects anything else", () => {
    expect(dyadicExponent(WAD / 2n)).toEqual({ numerator: 1n, log2Denominator: 1 });
    expect(dyadicExponent((WAD * 3n) / 4n)).toEqual({ numerator: 3n, log2Denominator: 2 });
    expect(dyadicExponent(WAD)).toEqual({ numerator: 1n, log2Denominator: 0 });
    expect(dyadicExponent(0n)).toEqual({ numerator: 0n, log2Denominator: 8 });
    expect(() => dyadicExponent((WAD * 3n) / 10n)).toThrow(ValidationError); // 0.3 is not dyadic
    expect(() => dyadicExponent(WAD / 512n)).toThrow(/1\/256/); // n = 9 is too fine
    expect(() => dyadicExponent(2n * WAD)).toThrow(ValidationError); // β > 1
  });

  it("stake^β is the exact floor of the real power, for any dyadic β (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.integer({ min: 0, max: 256 }), (x, k) => {
        const beta = (WAD / 256n) * BigInt(k);
        const y = stakePower(x, beta);
        const { numerator, log2Denominator } = dyadicExponent(beta);
        if (x === 0n) {
          expect(y).toBe(0n);
          return;
        }
        // y = floor(x^(k/2^n))  ⇔  y^(2^n) ≤ x^k < (y+1)^(2^n)
        const power = 2n ** BigInt(log2Denominator);
        expect(y ** power).toBeLessThanOrEqual(x ** numerator);
        expect((y + 1n) ** power).toBeGreaterThan(x ** numerator);
      }),
      { numRuns: 150 },
    );
  });

  it("stake^β never decreases with stake (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 27n }),
        fc.bigInt({ min: 0n, max: 10n ** 27n }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(stakePower(hi, WAD / 2n)).toBeGreaterThanOrEqual(stakePower(lo, WAD / 2n));
        },
      ),
      { numRuns: 200 },
    );
  });

  it("ρ^rank in WAD: 0.8² = 0.64", () => {
    expect(powWad((WAD * 8n) / 10n, 0)).toBe(WAD);
    expect(powWad((WAD * 8n) / 10n, 2)).toBe(640_000_000_000_000_000n);
  });
});
