import { WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rankByScore } from "./rank.ts";
import { type TrainerEntry, trainerShares } from "./trainerShares.ts";

const F = WAD; // 1 FLOCK

describe("trainer shares ∝ ρ^rank × stake^β", () => {
  it("pays 60/24/16 for ranks 0/1/2 with √stake 60/30/25", () => {
    // weights: 1 · √3600 = 60, 0.8 · √900 = 24, 0.64 · √625 = 16 → Σ 100
    const shares = trainerShares(
      500n * F,
      [
        { id: "b", score: 110n, stake: 3600n * F },
        { id: "a", score: 120n, stake: 900n * F },
        { id: "c", score: 130n, stake: 625n * F },
      ],
      "lower-is-better",
    );
    expect(shares.ranks).toEqual([0, 1, 2]);
    expect(shares.amounts).toEqual([300n * F, 120n * F, 80n * F]);
    expect(shares.dust).toBe(0n);
  });

  it("equal scores share a rank and the next one skips (competition ranking)", () => {
    const ranks = rankByScore(
      [
        { id: "x", score: 5n },
        { id: "y", score: 9n },
        { id: "z", score: 9n },
        { id: "w", score: 1n },
      ],
      "higher-is-better",
    );
    expect(Object.fromEntries(ranks)).toEqual({ y: 0, z: 0, x: 2, w: 3 });
  });

  const entries = fc.array(
    fc.record({ score: fc.bigInt({ min: 0n, max: 4n }), stake: fc.bigInt({ min: 0n, max: 10n ** 24n }) }),
    { minLength: 1, maxLength: 6 },
  );
  const withIds = (list: { score: bigint; stake: bigint }[]): TrainerEntry[] =>
    list.map((e, i) => ({ id: `s${i}`, ...e }));

  it("more stake never pays less, all else equal (property)", () => {
    fc.assert(
      fc.property(
        entries,
        fc.bigInt({ min: 1n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        (list, extra, pool) => {
          const base = withIds(list);
          const richer = base.map((e, i) => (i === 0 ? { ...e, stake: e.stake + extra } : e));
          const before = trainerShares(pool, base, "lower-is-better").amounts[0]!;
          const after = trainerShares(pool, richer, "lower-is-better").amounts[0]!;
          expect(after).toBeGreaterThanOrEqual(before);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a better score never pays less, all else equal (property)", () => {
    fc.assert(
      fc.property(
        entries,
        fc.bigInt({ min: 1n, max: 4n }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        (list, gain, pool) => {
          const base = withIds(list);
          const better = base.map((e, i) => (i === 0 ? { ...e, score: e.score - gain } : e));
          const before = trainerShares(pool, base, "lower-is-better").amounts[0]!;
          const after = trainerShares(pool, better, "lower-is-better").amounts[0]!;
          expect(after).toBeGreaterThanOrEqual(before);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("conserves the pool and ignores input order (property)", () => {
    fc.assert(
      fc.property(entries, fc.bigInt({ min: 0n, max: 10n ** 24n }), (list, pool) => {
        const base = withIds(list);
        const shares = trainerShares(pool, base, "higher-is-better");
        expect(shares.amounts.reduce((a, b) => a + b, 0n) + shares.dust).toBe(pool);
        const reversed = trainerShares(pool, [...base].reverse(), "higher-is-better");
        expect([...reversed.amounts].reverse()).toEqual(shares.amounts);
      }),
      { numRuns: 200 },
    );
  });
});
