import { BPS, ValidationError } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clampSigma, delegationSplit, readSigmaBounds, timeWeightedSplit } from "./delegation.ts";

const bounds = readSigmaBounds(1000n, 5000n);
const account = (n: number): string => `0x${n.toString(16).padStart(40, "0")}`;

describe("delegation split", () => {
  it("the participant keeps po + σ(pw − po) and the pool gets the rest of the gain", () => {
    // pw = 300, po = 250, σ = 20%: gain 50 → pool 40, participant 250 + 10 = 260
    expect(delegationSplit(300n, 250n, 2000n, bounds)).toEqual({
      participant: 260n,
      pool: 40n,
      sigmaBps: 2000n,
    });
    // pool rounds down: gain 3, σ 20% → pool floor(0.8 · 3) = floor(2.4) = 2, participant = 10 − 2 = 8
    expect(delegationSplit(10n, 7n, 2000n, bounds)).toEqual({ participant: 8n, pool: 2n, sigmaBps: 2000n });
  });

  it("clamps σ into the network bounds and rejects σ outside 0–100%", () => {
    expect(clampSigma(500n, bounds)).toBe(1000n);
    expect(clampSigma(9000n, bounds)).toBe(5000n);
    expect(() => clampSigma(10_001n, bounds)).toThrow(ValidationError);
    expect(() => clampSigma(-1, bounds)).toThrow(/σ/);
    try {
      clampSigma(20_000n, bounds);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).code).toBe("SIGMA_OUT_OF_RANGE");
      expect((error as ValidationError).hint).toMatch(/bps/);
    }
    expect(() => readSigmaBounds(6000n, 5000n)).toThrow(/σmin/);
  });

  it("conserves pw and keeps σ within bounds (property)", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: 10n ** 24n }),
        fc.bigInt({ min: 0n, max: BPS }),
        fc.bigInt({ min: 0n, max: BPS }),
        fc.bigInt({ min: 0n, max: BPS }),
        (a, b, s, lo, hi) => {
          const [po, pw] = a <= b ? [a, b] : [b, a];
          const [min, max] = lo <= hi ? [lo, hi] : [hi, lo];
          const split = delegationSplit(pw, po, s, readSigmaBounds(min, max));
          expect(split.participant + split.pool).toBe(pw);
          expect(split.participant).toBeGreaterThanOrEqual(po);
          expect(split.sigmaBps).toBeGreaterThanOrEqual(min);
          expect(split.sigmaBps).toBeLessThanOrEqual(max);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("splits a pool by amount × seconds", () => {
    // 900 × 43200 : 200 × 64800 = 38,880,000 : 12,960,000 = 3 : 1
    const { amounts, dust } = timeWeightedSplit(100n, [
      { account: account(1), amount: 900n, seconds: 43_200n },
      { account: account(2), amount: 200n, seconds: 64_800n },
    ]);
    expect(amounts).toEqual([75n, 25n]);
    expect(dust).toBe(0n);
  });

  it("a longer or larger delegation never earns less, and the pool is conserved (property)", () => {
    const position = fc.record({
      amount: fc.bigInt({ min: 0n, max: 10n ** 24n }),
      seconds: fc.bigInt({ min: 0n, max: 604_800n }),
    });
    fc.assert(
      fc.property(
        fc.array(position, { minLength: 1, maxLength: 5 }),
        fc.bigInt({ min: 0n, max: 10n ** 22n }),
        (list, pool) => {
          const delegations = list.map((p, i) => ({ account: account(i + 1), ...p }));
          const split = timeWeightedSplit(pool, delegations);
          expect(split.amounts.reduce((x, y) => x + y, 0n) + split.dust).toBe(pool);
          const longer = [
            { ...delegations[0]!, seconds: delegations[0]!.seconds + 3600n },
            ...delegations.slice(1),
          ];
          expect(timeWeightedSplit(pool, longer).amounts[0]!).toBeGreaterThanOrEqual(split.amounts[0]!);
        },
      ),
      { numRuns: 150 },
    );
  });
});
