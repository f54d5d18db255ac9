import { ProtocolError, ValidationError, WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { minBigint } from "./fixedPoint.ts";
import { stakeWeightedMedian } from "./stakeWeightedMedian.ts";

const HONEST = 1_100_000_000_000_000_000n; // BPC 1.10
const LOW_LIE = 100_000_000_000_000_000n; // BPC 0.10: flatters the trainer
const HIGH_LIE = 9_000_000_000_000_000_000n; // BPC 9.00: sinks the trainer

describe("stake-weighted median consensus", () => {
  it("a 49%-stake liar cannot move consensus, either way", () => {
    for (const lie of [LOW_LIE, HIGH_LIE]) {
      expect(
        stakeWeightedMedian([
          { score: HONEST, stake: 51n },
          { score: lie, stake: 49n },
        ]),
      ).toBe(HONEST);
      // split among several liars, still 49% in total
      expect(
        stakeWeightedMedian([
          { score: lie, stake: 20n },
          { score: HONEST, stake: 30n },
          { score: lie, stake: 29n },
          { score: HONEST, stake: 21n },
        ]),
      ).toBe(HONEST);
    }
  });

  it("a 51%-stake liar decides consensus", () => {
    for (const lie of [LOW_LIE, HIGH_LIE]) {
      expect(
        stakeWeightedMedian([
          { score: HONEST, stake: 49n },
          { score: lie, stake: 51n },
        ]),
      ).toBe(lie);
    }
  });

  it("handles ties: equal scores pool their stake, and an exact half picks the lower score", () => {
    // 1, 2, 2, 3 with stakes 30, 10, 15, 45: cumulative 30, 40, 55 ≥ 50 → 2
    expect(
      stakeWeightedMedian([
        { score: 3n, stake: 45n },
        { score: 2n, stake: 10n },
        { score: 1n, stake: 30n },
        { score: 2n, stake: 15n },
      ]),
    ).toBe(2n);
    // exactly 50/50: the lowest score whose cumulative stake reaches half is the lower one
    expect(
      stakeWeightedMedian([
        { score: 7n, stake: 5n },
        { score: 4n, stake: 5n },
      ]),
    ).toBe(4n);
    // all equal
    expect(
      stakeWeightedMedian([
        { score: -3n, stake: 1n },
        { score: -3n, stake: 9n },
      ]),
    ).toBe(-3n);
  });

  it("honours κ: with κ = 0.75 a 70% majority is not enough", () => {
    const kappa = (WAD * 3n) / 4n;
    expect(
      stakeWeightedMedian(
        [
          { score: 1n, stake: 70n },
          { score: 2n, stake: 30n },
        ],
        kappa,
      ),
    ).toBe(2n);
  });

  it("is always a reported score and ignores input order (property)", () => {
    const entries = fc.array(
      fc.record({ score: fc.bigInt({ min: -5n, max: 5n }), stake: fc.bigInt({ min: 0n, max: 1000n }) }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(entries, (list) => {
        if (list.every((e) => e.stake === 0n)) return;
        const median = stakeWeightedMedian(list);
        expect(list.some((e) => e.score === median)).toBe(true);
        expect(stakeWeightedMedian([...list].reverse())).toBe(median);
      }),
      { numRuns: 300 },
    );
  });

  it("a coalition below half the stake cannot move consensus, whatever it reports (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ score: fc.bigInt({ min: 0n, max: 9n }), stake: fc.bigInt({ min: 1n, max: 1000n }) }),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.array(fc.bigInt({ min: 0n, max: 9n }), { minLength: 1, maxLength: 4 }),
        (honest, lies) => {
          const honestScore = honest[0]!.score;
          const honestList = honest.map((h) => ({ score: honestScore, stake: h.stake }));
          const honestStake = honestList.reduce((a, b) => a + b.stake, 0n);
          // liars share strictly less than the honest stake
          const each = (honestStake - 1n) / BigInt(lies.length);
          const liars = lies.map((score) => ({ score, stake: each }));
          expect(stakeWeightedMedian([...honestList, ...liars])).toBe(honestScore);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("agrees with a slow reference: the lowest score minimizing Σ stake·|x − score| (property)", () => {
    // For κ = 0.5 the lower weighted median is the smallest reported score that minimizes the
    // stake-weighted absolute deviation — an independent characterization of the same point.
    const entries = fc.array(
      fc.record({ score: fc.bigInt({ min: -20n, max: 20n }), stake: fc.bigInt({ min: 0n, max: 50n }) }),
      { minLength: 1, maxLength: 7 },
    );
    fc.assert(
      fc.property(entries, (list) => {
        if (list.every((e) => e.stake === 0n)) return;
        const cost = (x: bigint) =>
          list.reduce((sum, e) => sum + e.stake * (x > e.score ? x - e.score : e.score - x), 0n);
        const candidates = [...new Set(list.map((e) => e.score))].sort((a, b) =>
          a < b ? -1 : a > b ? 1 : 0,
        );
        const best = candidates.map(cost).reduce((min, c) => minBigint(min, c));
        const reference = candidates.find((x) => cost(x) === best)!;
        expect(stakeWeightedMedian(list)).toBe(reference);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects an empty validator set and stake-less validators", () => {
    expect(() => stakeWeightedMedian([])).toThrow(ProtocolError);
    expect(() => stakeWeightedMedian([])).toThrow(/no validator/);
    expect(() => stakeWeightedMedian([{ score: 1n, stake: 0n }])).toThrow(ProtocolError);
    expect(() => stakeWeightedMedian([{ score: 1n, stake: 1n }], 0n)).toThrow(ValidationError);
  });
});
