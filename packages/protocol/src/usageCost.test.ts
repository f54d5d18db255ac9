import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { usageCost } from "./usageCost.ts";

const price = fc.record({
  promptPer1k: fc.bigInt({ min: 0n, max: 10n ** 24n }),
  completionPer1k: fc.bigInt({ min: 0n, max: 10n ** 24n }),
});
const tokens = fc.integer({ min: 0, max: 1_000_000 });

describe("usage cost", () => {
  it("rounds each side up to a whole base unit", () => {
    const p = { promptPer1k: 3n, completionPer1k: 10n };
    expect(usageCost(p, 0, 0)).toBe(0n);
    expect(usageCost(p, 1, 1)).toBe(2n); // ⌈3/1000⌉ + ⌈10/1000⌉
    expect(usageCost(p, 1000, 100)).toBe(4n); // 3 + 1
    expect(usageCost({ promptPer1k: 10n ** 15n, completionPer1k: 2n * 10n ** 15n }, 12, 30)).toBe(
      12n * 10n ** 12n + 60n * 10n ** 12n,
    );
  });

  it("never bills less than the exact price, and less than one base unit more per side (property)", () => {
    fc.assert(
      fc.property(price, tokens, tokens, (p, pt, ct) => {
        const cost = usageCost(p, pt, ct);
        const exactTimes1000 = BigInt(pt) * p.promptPer1k + BigInt(ct) * p.completionPer1k;
        expect(cost * 1000n).toBeGreaterThanOrEqual(exactTimes1000);
        expect(cost * 1000n).toBeLessThan(exactTimes1000 + 2000n);
      }),
      { numRuns: 300 },
    );
  });

  it("is monotone in tokens: the worst case reserved covers any shorter answer (property)", () => {
    fc.assert(
      fc.property(price, tokens, tokens, tokens, (p, pt, ct, less) => {
        const produced = Math.min(ct, less);
        expect(usageCost(p, pt, produced)).toBeLessThanOrEqual(usageCost(p, pt, ct));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses negative or fractional token counts and negative prices", () => {
    const p = { promptPer1k: 1n, completionPer1k: 1n };
    expect(() => usageCost(p, -1, 0)).toThrow(/non-negative integer/);
    expect(() => usageCost(p, 0, 1.5)).toThrow(/non-negative integer/);
    expect(() => usageCost({ promptPer1k: -1n, completionPer1k: 0n }, 1, 1)).toThrow(/negative/);
  });
});
