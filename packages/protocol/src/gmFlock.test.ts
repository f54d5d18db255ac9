import { AmountError, parseFlock, ValidationError, WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gmForLock, gmMultiplierWad, redemption } from "./gmFlock.ts";

describe("gmFLOCK lock multiplier", () => {
  it("matches the SPEC formula at 0, 30, 100, 365 and 400 days", () => {
    // m = 1 + 2.19 · (clamp(d, 30, 365) − 30) / 365
    expect(gmMultiplierWad(0)).toBe(WAD); // clamped to 30 → 1 + 0
    expect(gmMultiplierWad(30)).toBe(WAD); // 1 + 0
    // 100 days: 219 · 70 / 36500 = 15330 / 36500 = 0.42 → 1.42×
    expect(gmMultiplierWad(100)).toBe(1_420_000_000_000_000_000n);
    // 365 days: 219 · 335 / 36500 = 73365 / 36500 = 2.01 → 3.01×
    expect(gmMultiplierWad(365)).toBe(3_010_000_000_000_000_000n);
    expect(gmMultiplierWad(400)).toBe(3_010_000_000_000_000_000n); // clamped to 365
  });

  it("locking 100 FLOCK for a year gives 301 gmFLOCK", () => {
    expect(gmForLock(parseFlock("100"), 365)).toBe(parseFlock("301"));
  });

  it("floors like the contract: n + n·219·(dc−30)/36500", () => {
    // 7 base units for 31 days: 7 + floor(7·219·1/36500) = 7 + floor(1533/36500) = 7
    expect(gmForLock(7n, 31)).toBe(7n);
    // 1000 base units for 31 days: 1000 + floor(219000/36500) = 1000 + 6
    expect(gmForLock(1000n, 31)).toBe(1006n);
  });

  it("stays between 1× and 3.01× and never decreases with longer locks (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        (n, d1, d2) => {
          const [short, long] = d1 <= d2 ? [d1, d2] : [d2, d1];
          const a = gmForLock(n, short);
          const b = gmForLock(n, long);
          expect(a).toBeGreaterThanOrEqual(n);
          expect(b).toBeGreaterThanOrEqual(a);
          expect(b * 100n).toBeLessThanOrEqual(n * 301n);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects negative or fractional amounts and negative days", () => {
    expect(() => gmForLock(-1n, 30)).toThrow(AmountError);
    expect(() => gmForLock(1.5 as unknown as bigint, 30)).toThrow(AmountError);
    expect(() => gmForLock(1n, -1)).toThrow(ValidationError);
    expect(() => gmForLock(1n, 1.5)).toThrow(/whole number/);
  });
});

describe("redemption at unlock", () => {
  it("returns 95% and sends the 5% fee to the treasury", () => {
    expect(redemption(parseFlock("100"))).toEqual({ returned: parseFlock("95"), fee: parseFlock("5") });
    // 19 base units: fee = floor(19·500/10000) = floor(0.95) = 0, all 19 returned
    expect(redemption(19n)).toEqual({ returned: 19n, fee: 0n });
  });

  it("conserves: returned + fee == amount (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (n) => {
        const { returned, fee } = redemption(n);
        expect(returned + fee).toBe(n);
        expect(fee * 20n).toBeLessThanOrEqual(n);
      }),
      { numRuns: 200 },
    );
  });
});
