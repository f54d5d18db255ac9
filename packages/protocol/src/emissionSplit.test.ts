import { BPS, parseFlock, ValidationError } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { roleSplit, splitByTaskWeight, splitEmission, vestingSplit } from "./emissionSplit.ts";

const amount = fc.bigInt({ min: 0n, max: 10n ** 27n });

describe("emission splits", () => {
  it("FL gets E · S_FL / (S_arena + S_FL), the Arena the rest", () => {
    // 1000 · 1 / (3 + 1) = 250
    expect(splitEmission(parseFlock("1000"), 3n, 1n)).toEqual({
      fl: parseFlock("250"),
      arena: parseFlock("750"),
    });
    expect(splitEmission(100n, 0n, 0n)).toEqual({ fl: 0n, arena: 100n });
  });

  it("splits R0 between trainers and validators by γ + (1 − 2γ)·T/(T+V)", () => {
    // γ = 0.1, T = 3, V = 1: 0.1 + 0.8 · 3/4 = 0.7 → 700 of 1000
    expect(roleSplit(parseFlock("1000"), 1000n, 3n, 1n)).toEqual({
      trainers: parseFlock("700"),
      validators: parseFlock("300"),
    });
    // γ = 0.5 ignores stakes: 50/50
    expect(roleSplit(10n, 5000n, 9n, 1n)).toEqual({ trainers: 5n, validators: 5n });
    // one rational expression: 10 · (1000·3 + 8000·1) / (10000·3) = 110000 / 30000 = 3.67 → 3
    expect(roleSplit(10n, 1000n, 1n, 2n).trainers).toBe(3n);
  });

  it("rejects γ above 50%", () => {
    expect(() => roleSplit(10n, 5001n, 1n, 1n)).toThrow(ValidationError);
    expect(() => roleSplit(10n, 5001n, 1n, 1n)).toThrow(/GAMMA|γ/);
  });

  it("vests 90% of a trainer reward", () => {
    expect(vestingSplit(parseFlock("100"))).toEqual({ vesting: parseFlock("90"), liquid: parseFlock("10") });
    expect(vestingSplit(9n)).toEqual({ vesting: 8n, liquid: 1n }); // floor(8.1) = 8
  });

  it("every split pays out exactly its input (property)", () => {
    fc.assert(
      fc.property(
        amount,
        amount,
        amount,
        fc.bigInt({ min: 0n, max: 5000n }),
        fc.array(fc.bigInt({ min: 0n, max: 1000n }), { maxLength: 6 }),
        (e, s1, s2, gamma, weights) => {
          const fl = splitEmission(e, s1, s2);
          expect(fl.fl + fl.arena).toBe(e);
          const role = roleSplit(e, gamma, s1, s2);
          expect(role.trainers + role.validators).toBe(e);
          const v = vestingSplit(e, 9000n);
          expect(v.vesting + v.liquid).toBe(e);
          const tasks = splitByTaskWeight(e, weights);
          expect(tasks.amounts.reduce((a, b) => a + b, 0n) + tasks.dust).toBe(e);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the trainer side matches the exact rational and grows with trainer stake (property)", () => {
    fc.assert(
      fc.property(
        amount,
        fc.bigInt({ min: 0n, max: 5000n }),
        amount,
        amount,
        amount,
        (r0, gamma, t, v, extra) => {
          const { trainers } = roleSplit(r0, gamma, t, v);
          if (t + v > 0n) {
            // trainers / r0 = (γ(T+V) + (1−2γ)T) / (T+V): check floor by cross-multiplication
            const num = r0 * (gamma * (t + v) + (BPS - 2n * gamma) * t);
            const den = BPS * (t + v);
            expect(trainers * den).toBeLessThanOrEqual(num);
            expect((trainers + 1n) * den).toBeGreaterThan(num);
          }
          expect(roleSplit(r0, gamma, t + extra, v).trainers).toBeGreaterThanOrEqual(trainers);
        },
      ),
      { numRuns: 200 },
    );
  });
});
