import { AmountError, ProtocolError, parseFlock } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  cappedEmission,
  cumulativeEmission,
  emissionForMint,
  FLOCK_SUPPLY_CAP,
  SCHEDULE_MINTS,
} from "./emission.ts";

const E0 = parseFlock("1000000"); // 1M FLOCK per day

describe("daily emission", () => {
  it("decays ×0.9 every 30 mints", () => {
    expect(emissionForMint(0, E0)).toBe(E0);
    expect(emissionForMint(29, E0)).toBe(E0);
    expect(emissionForMint(30, E0)).toBe(parseFlock("900000")); // 1M · 9/10
    expect(emissionForMint(60, E0)).toBe(parseFlock("810000")); // 1M · 81/100
  });

  it("after 30 mints 30M are minted, after 60 mints 57M", () => {
    // mints 0..29: 30 · 1,000,000 = 30,000,000
    expect(cumulativeEmission(30, E0)).toBe(parseFlock("30000000"));
    // + mints 30..59: 30 · 900,000 = 27,000,000 → 57,000,000
    expect(cumulativeEmission(60, E0)).toBe(parseFlock("57000000"));
  });

  it("floors once per mint: E0 · 9^e / 10^e", () => {
    // E0 = 7 base units, e = 2: 7 · 81 / 100 = 5.67 → 5
    expect(emissionForMint(60, 7n)).toBe(5n);
    // e = 3: 7 · 729 / 1000 = 5.103 → 5, whereas flooring every period would give 7 → 6 → 5 → 4
    expect(emissionForMint(90, 7n)).toBe(5n);
  });

  it("stops at the supply cap", () => {
    const cap = parseFlock("1000");
    expect(cappedEmission(0, parseFlock("300"), parseFlock("900"), cap)).toBe(parseFlock("100"));
    expect(cappedEmission(0, parseFlock("300"), cap, cap)).toBe(0n);
    expect(cumulativeEmission(10, parseFlock("300"), 0n, cap)).toBe(cap);
    expect(() => cappedEmission(0, 1n, cap + 1n, cap)).toThrow(AmountError);
  });

  it("the per-period sum equals the mint-by-mint capped reference (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: 10n ** 26n }),
        (mints, e0, cap) => {
          let supply = 0n;
          for (let k = 0; k < mints; k++) supply += cappedEmission(k, e0, supply, cap);
          expect(cumulativeEmission(mints, e0, 0n, cap)).toBe(supply);
          expect(supply).toBeLessThanOrEqual(cap);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("ends after 78 decay periods, as the contract does", () => {
    expect(SCHEDULE_MINTS).toBe(2340n);
    // e = 77: 10^24 · 9^77 / 10^77, floored
    expect(emissionForMint(2339, E0)).toBe((E0 * 9n ** 77n) / 10n ** 77n);
    expect(() => emissionForMint(2340, E0)).toThrow(ProtocolError);
    expect(() => emissionForMint(2340, E0)).toThrow(/past the emission schedule/);
    expect(cumulativeEmission(10_000, 1n)).toBe(cumulativeEmission(2340, 1n));
  });

  it("never exceeds 1B FLOCK over a century", () => {
    expect(cumulativeEmission(36_500, parseFlock("5000000"))).toBeLessThanOrEqual(FLOCK_SUPPLY_CAP);
  });
});
