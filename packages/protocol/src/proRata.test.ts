import { AmountError } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { distributeProRata } from "./proRata.ts";

const weights = fc.array(fc.bigInt({ min: 0n, max: 10n ** 30n }), { maxLength: 8 });
const total = fc.bigInt({ min: 0n, max: 10n ** 27n });

describe("pro-rata distribution", () => {
  it("floors each share and returns the remainder as dust", () => {
    // 10 over 1:1:1 → 3, 3, 3 and dust 1
    expect(distributeProRata(10n, [1n, 1n, 1n])).toEqual({ amounts: [3n, 3n, 3n], dust: 1n });
    expect(distributeProRata(10n, [0n, 0n])).toEqual({ amounts: [0n, 0n], dust: 10n });
    expect(distributeProRata(10n, [])).toEqual({ amounts: [], dust: 10n });
  });

  it("conserves: Σ amounts + dust == total, and dust < number of shares (property)", () => {
    fc.assert(
      fc.property(total, weights, (t, w) => {
        const { amounts, dust } = distributeProRata(t, w);
        expect(amounts.reduce((a, b) => a + b, 0n) + dust).toBe(t);
        if (w.some((x) => x > 0n)) expect(dust).toBeLessThan(BigInt(w.length));
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on input order (property)", () => {
    fc.assert(
      fc.property(total, weights, (t, w) => {
        const forward = distributeProRata(t, w);
        const backward = distributeProRata(t, [...w].reverse());
        expect([...backward.amounts].reverse()).toEqual(forward.amounts);
        expect(backward.dust).toBe(forward.dust);
      }),
      { numRuns: 200 },
    );
  });

  it("a larger weight never gets less (property)", () => {
    fc.assert(
      fc.property(total, weights, fc.bigInt({ min: 0n, max: 10n ** 30n }), (t, w, extra) => {
        if (w.length === 0) return;
        const before = distributeProRata(t, w).amounts[0]!;
        const after = distributeProRata(t, [w[0]! + extra, ...w.slice(1)]).amounts[0]!;
        expect(after).toBeGreaterThanOrEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects negative totals and weights", () => {
    expect(() => distributeProRata(-1n, [1n])).toThrow(AmountError);
    expect(() => distributeProRata(1n, [-1n])).toThrow(AmountError);
  });
});
