import { WAD } from "@flock/core";
import { describe, expect, it } from "vitest";
import { payContributions } from "./payContributions.ts";
import { addContributions } from "./roundContribution.ts";

const A = "0x00000000000000000000000000000000000000aa";
const B = "0x00000000000000000000000000000000000000bb";
const C = "0x00000000000000000000000000000000000000cc";

describe("paying a pool by contribution", () => {
  it("two rounds of values summed per account, paid in proportion to the positive totals", () => {
    const totals = new Map<string, number>();
    addContributions(totals, {
      players: [A, B, C],
      values: [0.1, 0.05, -0.02],
      evaluations: 0,
      grand: 0,
      empty: 0,
    });
    addContributions(totals, { players: [A, B], values: [0.05, 0.1], evaluations: 0, grand: 0, empty: 0 });
    // A 0.15, B 0.15 (up to float rounding, which the WAD conversion keeps), C −0.02 → nothing.
    const pay = payContributions(totals, 1_000n * WAD);
    const [a, b, c] = pay.shares.map((s) => s.amount);
    expect(c).toBe(0n);
    expect(a! + b! + pay.dust).toBe(1_000n * WAD);
    expect(Number(a! - b!) / 1e18).toBeLessThan(1e-9);
    expect(pay.shares.map((s) => s.account)).toEqual([A, B, C]);
  });

  it("refuses a total that is not finite (a broken evaluation must not be paid)", () => {
    expect(() => payContributions(new Map([[A, Number.NaN]]), 1n)).toThrow(
      expect.objectContaining({ code: "METRIC_NOT_FINITE" }),
    );
  });
});
