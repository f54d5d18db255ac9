import { ProtocolError, ValidationError, WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { minBigint } from "./fixedPoint.ts";
import { isBetter, type ScoreDirection } from "./score.ts";
import { type StakedScore, stakeWeightedMedian } from "./stakeWeightedMedian.ts";

const LOWER: ScoreDirection = "lower-is-better";
const HIGHER: ScoreDirection = "higher-is-better";
const DIRECTIONS = [LOWER, HIGHER] as const;
const HONEST = 1_100_000_000_000_000_000n; // BPC 1.10
const LOW_LIE = 100_000_000_000_000_000n; // BPC 0.10: flatters the trainer
const HIGH_LIE = 9_000_000_000_000_000_000n; // BPC 9.00: sinks the trainer
const MAX_SCORE = 2n ** 255n - 1n;

/**
 * Slow reference, straight from the definition: among the reported scores, those whose support (the stake of
 * every score reaching or beating it) is at least κ of the total; the best of them.
 */
function byDefinition(
  entries: readonly StakedScore[],
  direction: ScoreDirection,
  kappaWad = WAD / 2n,
): bigint {
  const total = entries.reduce((sum, e) => sum + e.stake, 0n);
  const support = (c: bigint) =>
    entries.filter((e) => e.score === c || isBetter(e.score, c, direction)).reduce((s, e) => s + e.stake, 0n);
  const reached = entries.map((e) => e.score).filter((c) => support(c) * WAD >= kappaWad * total);
  return reached.reduce((best, c) => (isBetter(c, best, direction) ? c : best));
}

const staked = (min: bigint, max: bigint, maxStake = 1000n) =>
  fc.array(fc.record({ score: fc.bigInt({ min, max }), stake: fc.bigInt({ min: 0n, max: maxStake }) }), {
    minLength: 1,
    maxLength: 8,
  });
const anyStake = (list: readonly StakedScore[]) => list.some((e) => e.stake > 0n);

describe("stake-weighted median consensus (Yuma: the best score κ of the stake reaches or beats)", () => {
  it("the 50/50 worked example: both halves reach κ = 0.5, so the better score wins, in either direction", () => {
    const split = [
      { score: 4n, stake: 5n },
      { score: 7n, stake: 5n },
    ];
    // lower-is-better: support(4) = stake[score ≤ 4] = 5 ≥ 0.5 · 10 → C = 4
    expect(stakeWeightedMedian(split, LOWER)).toBe(4n);
    // higher-is-better: support(7) = stake[score ≥ 7] = 5 ≥ 0.5 · 10 → C = 7
    expect(stakeWeightedMedian(split, HIGHER)).toBe(7n);
  });

  it("the 60/40 worked example: the 60% side decides, whichever way the metric improves", () => {
    const split = [
      { score: 4n, stake: 60n },
      { score: 7n, stake: 40n },
    ];
    // lower: support(4) = 60 ≥ 50 → 4.   higher: support(7) = 40 < 50, support(4) = 100 → 4.
    expect(stakeWeightedMedian(split, LOWER)).toBe(4n);
    expect(stakeWeightedMedian(split, HIGHER)).toBe(4n);
    const flipped = [
      { score: 4n, stake: 40n },
      { score: 7n, stake: 60n },
    ];
    expect(stakeWeightedMedian(flipped, LOWER)).toBe(7n);
    expect(stakeWeightedMedian(flipped, HIGHER)).toBe(7n);
  });

  it("a 49%-stake liar cannot move consensus, either way, in either direction", () => {
    for (const direction of DIRECTIONS) {
      for (const lie of [LOW_LIE, HIGH_LIE]) {
        expect(
          stakeWeightedMedian(
            [
              { score: HONEST, stake: 51n },
              { score: lie, stake: 49n },
            ],
            direction,
          ),
        ).toBe(HONEST);
        // split among several liars, still 49% in total
        expect(
          stakeWeightedMedian(
            [
              { score: lie, stake: 20n },
              { score: HONEST, stake: 30n },
              { score: lie, stake: 29n },
              { score: HONEST, stake: 21n },
            ],
            direction,
          ),
        ).toBe(HONEST);
      }
    }
  });

  it("a 51%-stake liar decides consensus", () => {
    for (const direction of DIRECTIONS) {
      for (const lie of [LOW_LIE, HIGH_LIE]) {
        expect(
          stakeWeightedMedian(
            [
              { score: HONEST, stake: 49n },
              { score: lie, stake: 51n },
            ],
            direction,
          ),
        ).toBe(lie);
      }
    }
  });

  it("ties: equal scores pool their stake, whatever their order", () => {
    const tied = [
      { score: 3n, stake: 45n },
      { score: 2n, stake: 10n },
      { score: 1n, stake: 30n },
      { score: 2n, stake: 15n },
    ];
    // lower: support(1) = 30, support(2) = 30 + 25 = 55 ≥ 50 → 2
    expect(stakeWeightedMedian(tied, LOWER)).toBe(2n);
    // higher: support(3) = 45, support(2) = 45 + 25 = 70 ≥ 50 → 2
    expect(stakeWeightedMedian(tied, HIGHER)).toBe(2n);
    const same = [
      { score: -3n, stake: 1n },
      { score: -3n, stake: 9n },
    ];
    for (const direction of DIRECTIONS) expect(stakeWeightedMedian(same, direction)).toBe(-3n);
  });

  it("zero-stake entries count for nothing and are never the answer", () => {
    const list = [
      { score: 1n, stake: 0n }, // best for lower-is-better, but unstaked
      { score: 5n, stake: 10n },
      { score: 9n, stake: 0n }, // best for higher-is-better, but unstaked
    ];
    for (const direction of DIRECTIONS) expect(stakeWeightedMedian(list, direction)).toBe(5n);
  });

  it("κ = 1: every staked validator must reach or beat C, so C is the worst staked score", () => {
    const list = [
      { score: 2n, stake: 1n },
      { score: 8n, stake: 1000n },
      { score: 5n, stake: 10n },
      { score: 100n, stake: 0n },
    ];
    expect(stakeWeightedMedian(list, LOWER, WAD)).toBe(8n);
    expect(stakeWeightedMedian(list, HIGHER, WAD)).toBe(2n);
  });

  it("honours κ: with κ = 0.75 a 70% majority is not enough", () => {
    const kappa = (WAD * 3n) / 4n;
    const list = [
      { score: 1n, stake: 70n },
      { score: 2n, stake: 30n },
    ];
    expect(stakeWeightedMedian(list, LOWER, kappa)).toBe(2n);
    expect(stakeWeightedMedian(list, HIGHER, kappa)).toBe(1n);
  });

  it("is exact for scores up to 2^255 − 1 (an unscorable artifact's worst score) and huge stakes", () => {
    const huge = 10n ** 30n;
    const list = [
      { score: MAX_SCORE, stake: huge + 1n },
      { score: MAX_SCORE - 1n, stake: huge },
    ];
    // lower: support(2^255 − 2) = huge < (2·huge + 1)/2 → the worst score decides, by one wei of stake
    expect(stakeWeightedMedian(list, LOWER)).toBe(MAX_SCORE);
    expect(stakeWeightedMedian(list, HIGHER)).toBe(MAX_SCORE);
    const even = [
      { score: MAX_SCORE, stake: huge },
      { score: -MAX_SCORE, stake: huge },
    ];
    expect(stakeWeightedMedian(even, LOWER)).toBe(-MAX_SCORE);
    expect(stakeWeightedMedian(even, HIGHER)).toBe(MAX_SCORE);
  });

  it("agrees with the definition, is a staked reported score and ignores input order (property)", () => {
    fc.assert(
      fc.property(
        staked(-5n, 5n),
        fc.constantFrom(...DIRECTIONS),
        fc.bigInt({ min: 1n, max: WAD }),
        (list, d, k) => {
          if (!anyStake(list)) return;
          const median = stakeWeightedMedian(list, d, k);
          expect(median).toBe(byDefinition(list, d, k));
          expect(list.some((e) => e.score === median && e.stake > 0n)).toBe(true);
          expect(stakeWeightedMedian([...list].reverse(), d, k)).toBe(median);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("direction symmetry: negating every score and flipping the direction negates the result (property)", () => {
    fc.assert(
      fc.property(staked(-MAX_SCORE, MAX_SCORE, 10n ** 24n), fc.bigInt({ min: 1n, max: WAD }), (list, k) => {
        if (!anyStake(list)) return;
        const negated = list.map((e) => ({ score: -e.score, stake: e.stake }));
        expect(stakeWeightedMedian(negated, HIGHER, k)).toBe(-stakeWeightedMedian(list, LOWER, k));
        expect(stakeWeightedMedian(negated, LOWER, k)).toBe(-stakeWeightedMedian(list, HIGHER, k));
      }),
      { numRuns: 300 },
    );
  });

  it("monotone: improving one validator's score never worsens consensus (property)", () => {
    fc.assert(
      fc.property(
        staked(-20n, 20n),
        fc.constantFrom(...DIRECTIONS),
        fc.nat(),
        fc.bigInt({ min: 0n, max: 30n }),
        fc.bigInt({ min: 1n, max: WAD }),
        (list, d, who, by, k) => {
          if (!anyStake(list)) return;
          const i = who % list.length;
          const step = d === "lower-is-better" ? -by : by;
          const improved = list.map((e, j) => (j === i ? { ...e, score: e.score + step } : e));
          const before = stakeWeightedMedian(list, d, k);
          const after = stakeWeightedMedian(improved, d, k);
          expect(isBetter(before, after, d)).toBe(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("a coalition holding less than κ of the stake cannot move C off the honest score, with honest stake ≥ κ (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 1000n }), { minLength: 1, maxLength: 5 }),
        fc.array(
          fc.record({ score: fc.bigInt({ min: -9n, max: 9n }), stake: fc.bigInt({ min: 0n, max: 1000n }) }),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        fc.bigInt({ min: -9n, max: 9n }),
        fc.constantFrom(...DIRECTIONS),
        fc.bigInt({ min: 1n, max: WAD }),
        (honestStakes, coalition, honestScore, d, k) => {
          const honest = honestStakes.map((stake) => ({ score: honestScore, stake }));
          const h = honestStakes.reduce((a, b) => a + b, 0n);
          const l = coalition.reduce((a, b) => a + b.stake, 0n);
          const total = h + l;
          if (!(l * WAD < k * total && h * WAD >= k * total)) return;
          expect(stakeWeightedMedian([...honest, ...coalition], d, k)).toBe(honestScore);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("κ = 0.5: a minority below half cannot move consensus, whatever it reports (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 1n, max: 1000n }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.bigInt({ min: 0n, max: 9n }), { minLength: 1, maxLength: 4 }),
        fc.bigInt({ min: 0n, max: 9n }),
        fc.constantFrom(...DIRECTIONS),
        (stakes, lies, honestScore, d) => {
          const honestList = stakes.map((stake) => ({ score: honestScore, stake }));
          const honestStake = stakes.reduce((a, b) => a + b, 0n);
          // liars share strictly less than the honest stake
          const each = (honestStake - 1n) / BigInt(lies.length);
          const liars = lies.map((score) => ({ score, stake: each }));
          expect(stakeWeightedMedian([...honestList, ...liars], d)).toBe(honestScore);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("κ = 0.5 agrees with a second reference: the best reported score minimizing Σ stake·|x − score| (property)", () => {
    // The weighted median minimizes the stake-weighted absolute deviation; where several reported scores tie,
    // the rule picks the best of them (lowest for lower-is-better, highest for higher-is-better).
    fc.assert(
      fc.property(staked(-20n, 20n, 50n), fc.constantFrom(...DIRECTIONS), (list, d) => {
        if (!anyStake(list)) return;
        const cost = (x: bigint) =>
          list.reduce((sum, e) => sum + e.stake * (x > e.score ? x - e.score : e.score - x), 0n);
        const candidates = [...new Set(list.filter((e) => e.stake > 0n).map((e) => e.score))];
        const least = candidates.map(cost).reduce((min, c) => minBigint(min, c));
        const reference = candidates
          .filter((x) => cost(x) === least)
          .reduce((best, x) => (isBetter(x, best, d) ? x : best));
        expect(stakeWeightedMedian(list, d)).toBe(reference);
      }),
      { numRuns: 300 },
    );
  });

  it("rejects an empty validator set, stake-less validators, a bad κ and an unknown direction", () => {
    expect(() => stakeWeightedMedian([], LOWER)).toThrow(ProtocolError);
    expect(() => stakeWeightedMedian([], LOWER)).toThrow(/no validator/);
    expect(() => stakeWeightedMedian([{ score: 1n, stake: 0n }], HIGHER)).toThrow(ProtocolError);
    expect(() => stakeWeightedMedian([{ score: 1n, stake: 1n }], LOWER, 0n)).toThrow(ValidationError);
    expect(() => stakeWeightedMedian([{ score: 1n, stake: 1n }], LOWER, WAD + 1n)).toThrow(ValidationError);
    expect(() => stakeWeightedMedian([{ score: 1n, stake: 1n }], "sideways" as ScoreDirection)).toThrow(
      expect.objectContaining({ code: "DIRECTION_INVALID" }),
    );
  });
});
