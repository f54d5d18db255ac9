import { describe, expect, it } from "vitest";
import type { Arrays } from "../arrays.ts";
import { addContributions, CONTRIBUTION_METHODS, roundContribution } from "./roundContribution.ts";

/** A one-weight model; node k's update moves the weight to target k, the metric is −|w − 2|. */
const model = (w: number): Arrays => new Map([["w", { shape: [1], data: Float32Array.of(w) }]]);
const updates = [1, 2, 3].map((target, k) => ({
  nodeId: `node-${k}`,
  update: { arrays: model(target), numExamples: 10, metrics: {} },
}));
const evaluate = (a: Arrays) => -Math.abs(a.get("w")!.data[0]! - 2);

describe("a round's contributions by node", () => {
  it("values each node's update under every method, in the updates' order", async () => {
    // By hand: v(∅) = −2 (w = 0); singletons −1, 0, −1 (w = 1, 2, 3); pairs {0,1} −0.5, {0,2} 0,
    // {1,2} −0.5; v(N) = 0 (w = 2). φ₀ = ⅓·1 + ⅙·(−0.5) + ⅙·1 + ⅓·0.5 = 7/12, φ₁ = ⅓·2 + ⅙·0.5 + ⅙·0.5 +
    // ⅓·0 = 5/6, φ₂ = φ₀ by symmetry; Σ = 2 = v(N) − v(∅).
    const exact = await roundContribution({ start: model(0), updates, evaluate, method: "exact-shapley" });
    expect(exact.players).toEqual(["node-0", "node-1", "node-2"]);
    expect(exact.values.map((v) => v * 12)).toEqual([7, 10, 7].map((x) => expect.closeTo(x, 9)));
    const gtg = await roundContribution({ start: model(0), updates, evaluate, gtg: { seed: 1 } });
    gtg.values.forEach((v, i) => {
      expect(v).toBeCloseTo(exact.values[i]!, 1);
    });
    const loo = await roundContribution({ start: model(0), updates, evaluate, method: "leave-one-out" });
    // v(N ∖ {1}) = v({0, 2}) = 0 = v(N): leaving node 1 out costs nothing.
    expect(loo.values).toEqual([0.5, 0, 0.5]);
    expect(CONTRIBUTION_METHODS).toEqual(["gtg-shapley", "leave-one-out", "exact-shapley"]);
  });

  it("a round without updates values no one; totals add up per node across rounds", async () => {
    const none = await roundContribution({ start: model(0), updates: [], evaluate });
    expect(none.values).toEqual([]);
    const totals = new Map<string, number>();
    addContributions(totals, { players: ["a", "b"], values: [1, 2], evaluations: 0, grand: 0, empty: 0 });
    addContributions(totals, { players: ["b", "c"], values: [0.5, -1], evaluations: 0, grand: 0, empty: 0 });
    expect(Object.fromEntries(totals)).toEqual({ a: 1, b: 2.5, c: -1 });
  });

  it("refuses an update whose arrays do not match the round's model", async () => {
    const bad = [
      {
        nodeId: "x",
        update: {
          arrays: new Map([["v", { shape: [1], data: Float32Array.of(1) }]]),
          numExamples: 1,
          metrics: {},
        },
      },
    ];
    await expect(roundContribution({ start: model(0), updates: bad, evaluate })).rejects.toMatchObject({
      code: "FL_ARRAYS_MISMATCH",
    });
  });
});
