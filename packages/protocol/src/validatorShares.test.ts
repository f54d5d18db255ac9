import { WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scoreAccuracyWad, validatorAccuracyWad, validatorShares } from "./validatorShares.ts";

const TOL = 100_000_000_000_000_000n; // 0.1 score units

describe("validator accuracy and shares", () => {
  it("accuracy decays linearly with the distance to consensus, reaching 0 at the tolerance", () => {
    expect(scoreAccuracyWad(5n * TOL, 5n * TOL, TOL)).toBe(WAD);
    // d = 0.05, τ = 0.1 → 1 − 0.5 = 0.5
    expect(scoreAccuracyWad(5n * TOL + TOL / 2n, 5n * TOL, TOL)).toBe(WAD / 2n);
    expect(scoreAccuracyWad(5n * TOL - TOL / 2n, 5n * TOL, TOL)).toBe(WAD / 2n);
    expect(scoreAccuracyWad(6n * TOL, 5n * TOL, TOL)).toBe(0n);
    // τ = 0: exact match only
    expect(scoreAccuracyWad(1n, 1n, 0n)).toBe(WAD);
    expect(scoreAccuracyWad(2n, 1n, 0n)).toBe(0n);
    // mean over scores: (1 + 0.5) / 2
    expect(
      validatorAccuracyWad(
        [
          { score: 0n, consensus: 0n },
          { score: TOL / 2n, consensus: 0n },
        ],
        TOL,
      ),
    ).toBe((3n * WAD) / 4n);
    expect(validatorAccuracyWad([], TOL)).toBe(0n);
  });

  it("a farther score never has higher accuracy (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.bigInt({ min: 0n, max: 10n ** 19n }),
        fc.bigInt({ min: 0n, max: 10n ** 19n }),
        fc.bigInt({ min: 0n, max: 10n ** 18n }),
        (consensus, d1, d2, tol) => {
          const [near, far] = d1 <= d2 ? [d1, d2] : [d2, d1];
          const a = scoreAccuracyWad(consensus + near, consensus, tol);
          const b = scoreAccuracyWad(consensus - far, consensus, tol);
          expect(b).toBeLessThanOrEqual(a);
          expect(a).toBeLessThanOrEqual(WAD);
          expect(b).toBeGreaterThanOrEqual(0n);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("pays ∝ √stake × accuracy × work: 28/31 and 3/31 of 500", () => {
    // weights 70·1·3 = 210 and 15·0.75·2 = 22.5 → 210/232.5 = 28/31, 22.5/232.5 = 3/31
    const { amounts, dust } = validatorShares(
      500n * WAD,
      [
        { stake: 4900n * WAD, accuracyWad: WAD, work: 3n },
        { stake: 225n * WAD, accuracyWad: (3n * WAD) / 4n, work: 2n },
      ],
      WAD / 2n,
    );
    // 500e18 · 28 / 31 = 451612903225806451612.9… ; 500e18 · 3 / 31 = 48387096774193548387.09…
    expect(amounts).toEqual([451_612_903_225_806_451_612n, 48_387_096_774_193_548_387n]);
    expect(dust).toBe(1n);
  });

  it("more stake, accuracy or work never pays less, all else equal (property)", () => {
    const entry = fc.record({
      stake: fc.bigInt({ min: 0n, max: 10n ** 24n }),
      accuracyWad: fc.bigInt({ min: 0n, max: WAD }),
      work: fc.bigInt({ min: 0n, max: 20n }),
    });
    fc.assert(
      fc.property(
        fc.array(entry, { minLength: 1, maxLength: 5 }),
        fc.bigInt({ min: 1n, max: 10n ** 24n }),
        (list, pool) => {
          const before = validatorShares(pool, list, WAD / 2n).amounts[0]!;
          const first = list[0]!;
          for (const better of [
            { ...first, stake: first.stake + 10n ** 20n },
            { ...first, work: first.work + 1n },
            { ...first, accuracyWad: WAD },
          ]) {
            const after = validatorShares(pool, [better, ...list.slice(1)], WAD / 2n).amounts[0]!;
            expect(after).toBeGreaterThanOrEqual(before);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
