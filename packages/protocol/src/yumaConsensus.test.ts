import { ProtocolError, WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stakeWeightedMedian } from "./stakeWeightedMedian.ts";
import { yumaConsensus } from "./yumaConsensus.ts";

const v = (n: number): string => `0x${String(n).repeat(40).slice(0, 40)}`;
const miners = ["m0", "m1"];

describe("Yuma consensus for the dataset competition", () => {
  it("clips a minority validator's inflated weight to consensus", () => {
    // V1 (stake 60) and V2 (stake 15) weigh m0/m1 = 0.5/0.5; V3 (stake 25) puts all on m1 (its own miner).
    const result = yumaConsensus(miners, [
      { account: v(1), stake: 60n, weights: [1n, 1n] },
      { account: v(2), stake: 15n, weights: [1n, 1n] },
      { account: v(3), stake: 25n, weights: [0n, 1n] },
    ]);
    const half = WAD / 2n;
    // m0: weights 0.5 (75% stake) and 0 (25%): support(0.5) = 75% ≥ 50% → C = 0.5
    // m1: weights 0.5 (75%) and 1.0 (25%): support(1.0) = 25% < 50%, support(0.5) = 100% → C = 0.5
    expect(result.consensus).toEqual([half, half]);
    // V3's 1.0 on m1 is clipped to 0.5
    expect(result.clippedWeights[2]).toEqual([0n, half]);
    // R_m0 = 0.75 · 0.5 = 0.375; R_m1 = 1.0 · 0.5 = 0.5 (S = 0.6, 0.15, 0.25)
    expect(result.ranks).toEqual([375_000_000_000_000_000n, half]);
    // I = R / ΣR: 0.375 / 0.875 = 3/7, 0.5 / 0.875 = 4/7 (floored)
    expect(result.incentive).toEqual([(3n * WAD) / 7n, (4n * WAD) / 7n]);
    // V3's trust: only 0.5 of its weight survived; V1 and V2 agree fully
    expect(result.validatorTrust).toEqual([WAD, WAD, half]);
    // m1 lost V3's excess: P = 0.75·0.5 + 0.25·1 = 0.625, R = 0.5 → T = 0.8
    expect(result.trust[1]).toBe(800_000_000_000_000_000n);
  });

  it("a majority decides: 51% of stake on m1 makes it the consensus winner", () => {
    const result = yumaConsensus(miners, [
      { account: v(1), stake: 49n, weights: [1n, 0n] },
      { account: v(2), stake: 51n, weights: [0n, 1n] },
    ]);
    // m0: support(1.0) = 49% < 50% → C = 0; m1: support(1.0) = 51% → C = 1
    expect(result.consensus).toEqual([0n, WAD]);
    expect(result.incentive).toEqual([0n, WAD]);
  });

  it("incentives sum to at most 1 and never exceed the unclipped support (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            stake: fc.bigInt({ min: 1n, max: 10n ** 24n }),
            weights: fc.array(fc.bigInt({ min: 0n, max: 65535n }), { minLength: 3, maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        (rows) => {
          const result = yumaConsensus(
            ["a", "b", "c"],
            rows.map((r, i) => ({ account: v(i + 1), ...r })),
          );
          const sum = result.incentive.reduce((a, b) => a + b, 0n);
          expect(sum).toBeLessThanOrEqual(WAD);
          if (result.ranks.some((r) => r > 0n)) expect(sum).toBeGreaterThan(WAD - 10n);
          for (const [j, r] of result.ranks.entries()) expect(r).toBeLessThanOrEqual(result.preRanks[j]!);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("consensus agrees with a brute-force reference: the largest c with support(c) ≥ κ (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            stake: fc.bigInt({ min: 1n, max: 1000n }),
            weights: fc.array(fc.bigInt({ min: 0n, max: 3n }), { minLength: 2, maxLength: 2 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.bigInt({ min: 1n, max: WAD }),
        (rows, kappa) => {
          const result = yumaConsensus(
            miners,
            rows.map((r, i) => ({ account: v(i + 1), ...r })),
            kappa,
          );
          const total = rows.reduce((sum, r) => sum + r.stake, 0n);
          miners.forEach((_, j) => {
            const column = result.weights.map((row) => row[j]!);
            const support = (c: bigint) =>
              column.reduce((sum, w, i) => (w >= c ? sum + rows[i]!.stake : sum), 0n);
            const reference = [0n, ...column]
              .filter((c) => support(c) * WAD >= kappa * total)
              .sort((a, b) => (a < b ? 1 : a > b ? -1 : 0))[0];
            expect(result.consensus[j]).toBe(reference);
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("one rule: each miner's consensus is stakeWeightedMedian of its column, higher-is-better (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            stake: fc.bigInt({ min: 0n, max: 10n ** 24n }),
            weights: fc.array(fc.bigInt({ min: 0n, max: 65535n }), { minLength: 3, maxLength: 3 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.bigInt({ min: 1n, max: WAD }),
        (rows, kappa) => {
          if (rows.every((r) => r.stake === 0n)) return;
          const result = yumaConsensus(
            ["a", "b", "c"],
            rows.map((r, i) => ({ account: v(i + 1), ...r })),
            kappa,
          );
          for (let j = 0; j < 3; j++) {
            const column = result.weights.map((row, i) => ({ score: row[j]!, stake: rows[i]!.stake }));
            expect(result.consensus[j]).toBe(stakeWeightedMedian(column, "higher-is-better", kappa));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects an empty validator set", () => {
    expect(() => yumaConsensus(miners, [])).toThrow(ProtocolError);
  });
});
