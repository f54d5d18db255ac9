import { AmountError, ProtocolError, ValidationError, WAD } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FlContribution, flPayShares } from "./flPayShares.ts";

const account = (i: number) => `0x${i.toString(16).padStart(40, "0")}`;
const F = WAD; // 1 FLOCK

/** Up to 8 contributors with distinct accounts and signed values (negative: their update hurt). */
const contributions = fc
  .array(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), { maxLength: 8 })
  .map((vs) => vs.map((valueWad, i): FlContribution => ({ account: account(i + 1), valueWad })));
const pool = fc.bigInt({ min: 0n, max: 10n ** 27n });
const sum = (xs: readonly bigint[]) => xs.reduce((a, b) => a + b, 0n);

describe("FL pay shares from contribution values", () => {
  it("pays in proportion to positive values; zero and negative values get nothing", () => {
    // positive values 0.3, 0.1, 0.2 (WAD) → 3 : 1 : 2 of 600 FLOCK
    const r = flPayShares(
      [
        { account: account(1), valueWad: (3n * WAD) / 10n },
        { account: account(2), valueWad: -(5n * WAD) / 10n },
        { account: account(3), valueWad: WAD / 10n },
        { account: account(4), valueWad: 0n },
        { account: account(5), valueWad: (2n * WAD) / 10n },
      ],
      600n * F,
    );
    expect(r.shares.map((s) => s.amount)).toEqual([300n * F, 0n, 100n * F, 0n, 200n * F]);
    expect(r.dust).toBe(0n);
  });

  it("floors each amount and returns the remainder as dust", () => {
    // 10 over values 1 : 1 : 1 → 3, 3, 3 and dust 1
    const r = flPayShares(
      [1n, 1n, 1n].map((valueWad, i) => ({ account: account(i + 1), valueWad })),
      10n,
    );
    expect(r.shares.map((s) => s.amount)).toEqual([3n, 3n, 3n]);
    expect(r.dust).toBe(1n);
  });

  it("no positive value: the whole pool is dust", () => {
    const r = flPayShares([{ account: account(1), valueWad: -1n }], 5n * F);
    expect(r).toEqual({ shares: [{ account: account(1), amount: 0n }], dust: 5n * F });
    expect(flPayShares([], 7n)).toEqual({ shares: [], dust: 7n });
  });

  it("sums exactly to the pool, and dust is below the number of paid contributors (property)", () => {
    fc.assert(
      fc.property(contributions, pool, (values, p) => {
        const r = flPayShares(values, p);
        expect(sum(r.shares.map((s) => s.amount)) + r.dust).toBe(p);
        const paid = values.filter((v) => v.valueWad > 0n).length;
        if (paid > 0) expect(r.dust).toBeLessThan(BigInt(paid));
        r.shares.forEach((s, i) => {
          expect(s.amount).toBeGreaterThanOrEqual(0n);
          if (values[i]!.valueWad <= 0n) expect(s.amount).toBe(0n);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("is monotone in value: a higher value never pays less, within a split and when one value rises (property)", () => {
    fc.assert(
      fc.property(contributions, pool, fc.bigInt({ min: 0n, max: 10n ** 20n }), (values, p, raise) => {
        const r = flPayShares(values, p);
        for (let i = 0; i < values.length; i++) {
          for (let j = 0; j < values.length; j++) {
            if (values[i]!.valueWad >= values[j]!.valueWad) {
              expect(r.shares[i]!.amount).toBeGreaterThanOrEqual(r.shares[j]!.amount);
            }
          }
        }
        if (values.length === 0) return;
        const raised = [{ ...values[0]!, valueWad: values[0]!.valueWad + raise }, ...values.slice(1)];
        expect(flPayShares(raised, p).shares[0]!.amount).toBeGreaterThanOrEqual(r.shares[0]!.amount);
      }),
      { numRuns: 300 },
    );
  });

  it("is deterministic and independent of input order (property)", () => {
    fc.assert(
      fc.property(contributions, pool, (values, p) => {
        const r = flPayShares(values, p);
        expect(flPayShares(values, p)).toEqual(r);
        const reversed = flPayShares([...values].reverse(), p);
        expect([...reversed.shares].reverse()).toEqual(r.shares);
        expect(reversed.dust).toBe(r.dust);
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a negative pool, a non-bigint value, a malformed or repeated account", () => {
    expect(() => flPayShares([], -1n)).toThrow(AmountError);
    expect(() => flPayShares([{ account: account(1), valueWad: 0.5 as unknown as bigint }], 1n)).toThrow(
      expect.objectContaining({ code: "INTEGER_NOT_BIGINT" }),
    );
    expect(() => flPayShares([{ account: "0x12", valueWad: 1n }], 1n)).toThrow(ValidationError);
    const twice = [account(0xabcdef), `0x${account(0xabcdef).slice(2).toUpperCase()}`].map((a) => ({
      account: a,
      valueWad: 1n,
    }));
    expect(() => flPayShares(twice, 1n)).toThrow(ProtocolError);
  });
});
