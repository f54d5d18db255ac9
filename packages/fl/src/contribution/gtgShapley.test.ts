import { describe, expect, it } from "vitest";
import type { Arrays } from "../arrays.ts";
import { exactShapley } from "./exactShapley.ts";
import { fedAvgUtility } from "./fedAvgUtility.ts";
import { gtgShapley } from "./gtgShapley.ts";
import { leaveOneOut } from "./leaveOneOut.ts";
import { trainRound } from "./testing/federatedRound.ts";
import { additiveGame, game, gloveGame, ids } from "./testing/games.ts";
import {
  blobTask,
  shuffleLabels,
  softmaxAccuracy,
  softmaxLoss,
  softmaxModel,
} from "./testing/softmaxTask.ts";
import { memoizedUtility } from "./utility.ts";

/**
 * Eight clients of one FedAvg round on a 5-class Gaussian-cluster task: clients 0–5 hold clean data of
 * 20, 40, 60, 80, 20, 40 examples, clients 6 and 7 hold data with shuffled labels.
 */
function eightClients(seed: number) {
  const task = blobTask(seed, { features: 10, classes: 5, separation: 0.7 });
  const start = softmaxModel(10, 5);
  const validation = task.sample(500, 1_000);
  const clients = Array.from({ length: 8 }, (_, i) => {
    const data = task.sample(20 + 20 * (i % 4), i);
    return i >= 6 ? shuffleLabels(data, i) : data;
  });
  const updates = trainRound(start, clients, { epochs: 10, learningRate: 0.5 });
  return {
    utility: (metric: "accuracy" | "loss") =>
      fedAvgUtility({
        start,
        updates,
        evaluate: (a: Arrays) =>
          metric === "accuracy" ? softmaxAccuracy(a, validation) : -softmaxLoss(a, validation),
      }),
  };
}

const l1 = (xs: readonly number[]) => xs.reduce((a, x) => a + Math.abs(x), 0);

describe("GTG-Shapley", () => {
  it("is exact on an additive game (every permutation sees the same marginal gains)", async () => {
    const own = [0.3, -0.1, 0.05, 0.2, 0];
    const r = await gtgShapley(ids(5), additiveGame(own), { seed: 1 });
    r.values.forEach((v, i) => {
      expect(v).toBeCloseTo(own[i]!, 12);
    });
    expect(r).toMatchObject({ converged: true, permutations: 30, truncatedRound: false });
  });

  it("recovers the glove game's 1/6, 1/6, 2/3 with guided sampling", async () => {
    const r = await gtgShapley(ids(3), gloveGame(["L", "L", "R"]), { seed: 7, truncation: { walk: 0 } });
    // R is pivotal in every order where an L precedes it (4 of 6); guided cycles put R first in a third
    // of the sampled orders, exactly its share among all orders, so the estimate is close to 2/3.
    expect(r.values[2]).toBeGreaterThan(0.55);
    expect(r.values[2]).toBeLessThan(0.78);
    expect(r.values.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("round truncation: a round that barely moved the metric is valued 0 for everyone from two evaluations", async () => {
    const r = await gtgShapley(ids(4), additiveGame([0.0004, -0.0002, 0.0001, 0]), { seed: 1 });
    expect(r).toMatchObject({ values: [0, 0, 0, 0], evaluations: 2, permutations: 0, truncatedRound: true });
  });

  it("walk truncation stops a permutation once the aggregate is as good as all of it", async () => {
    // v saturates at two members: after any two players nothing is left to gain.
    const saturating = () => game(8, (m) => Math.min(m.length, 2));
    const truncated = await gtgShapley(ids(8), saturating(), { seed: 3 });
    const full = await gtgShapley(ids(8), saturating(), { seed: 3, truncation: { walk: 0 } });
    expect(truncated.values).toEqual(full.values);
    expect(truncated.evaluations).toBeLessThanOrEqual(2 + 8 + 28);
    expect(full.evaluations).toBeGreaterThan(3 * truncated.evaluations);
    // Efficiency holds in every permutation (the first two members gain 1 each, the rest 0).
    expect(truncated.values.reduce((a, b) => a + b, 0)).toBeCloseTo(2, 12);
    for (const v of truncated.values) expect(v).toBeGreaterThanOrEqual(0.125);
  });

  it("stops at maxPermutations without claiming convergence", async () => {
    const r = await gtgShapley(ids(4), gloveGame(["L", "R", "L", "R"]), { seed: 1, maxPermutations: 6 });
    expect(r).toMatchObject({ permutations: 6, converged: false });
  });

  it("is deterministic under a seed and varies with it", async () => {
    const { utility } = eightClients(1);
    const a = await gtgShapley(ids(8), utility("accuracy"), { seed: 5 });
    const b = await gtgShapley(ids(8), utility("accuracy"), { seed: 5 });
    const c = await gtgShapley(ids(8), utility("accuracy"), { seed: 6 });
    expect(b).toEqual(a);
    expect(c.values).not.toEqual(a.values);
  });

  it("gives the same values and evaluations when the evaluator is asynchronous and answers out of order", async () => {
    // A random 6-player game; the asynchronous evaluator answers after a delay that depends on the
    // coalition, so the concurrent walks of a cycle finish in a scrambled order.
    const table = Array.from(
      { length: 64 },
      (_, mask) => Math.sin(mask * 12.9898) * 0.5 + mask.toString(2).length,
    );
    const maskOf = (m: readonly number[]) => m.reduce((a, i) => a | (1 << i), 0);
    const sync = await gtgShapley(
      ids(6),
      game(6, (m) => table[maskOf(m)]!),
      { seed: 4 },
    );
    const slow = memoizedUtility(6, async (m) => {
      await new Promise((r) => setTimeout(r, (maskOf(m) * 7) % 5));
      return table[maskOf(m)]!;
    });
    const async_ = await gtgShapley(ids(6), slow, { seed: 4 });
    expect(async_).toEqual(sync);
  });

  it("agrees with the exact Shapley values at n = 8 on real FedAvg aggregates, with far fewer evaluations", async () => {
    // Stated tolerance, with the default options (convergence tolerance 0.05, ε = 0.001): the estimate's
    // error Σᵢ|φ̂ᵢ − φᵢ| is at most 15% of Σᵢ|φᵢ|, and each |φ̂ᵢ − φᵢ| at most 7.5% of |v(N) − v(∅)|, for
    // both metrics, three tasks and three permutation seeds each (measured: 5–13% and 1.4–5.4%, from
    // 40–72 permutations). The exact values cost 2^8 = 256 evaluations (2^8 · 8 = 2048 marginal gains);
    // GTG-Shapley stays below 256 (measured 151–193) thanks to memoization and guided cycles.
    for (const taskSeed of [1, 2, 3]) {
      const { utility } = eightClients(taskSeed);
      for (const metric of ["accuracy", "loss"] as const) {
        const exact = await exactShapley(ids(8), utility(metric));
        expect(exact.evaluations).toBe(256);
        for (const seed of [1, 2, 3]) {
          const gtg = await gtgShapley(ids(8), utility(metric), { seed });
          const errors = gtg.values.map((v, i) => Math.abs(v - exact.values[i]!));
          expect(l1(errors)).toBeLessThanOrEqual(0.15 * l1(exact.values));
          expect(Math.max(...errors)).toBeLessThanOrEqual(0.075 * Math.abs(exact.grand - exact.empty));
          expect(gtg.evaluations).toBeLessThan(256);
          expect(gtg.converged).toBe(true);
          // The two shuffled-label clients are the two lowest, as in the exact values.
          const lowest = [...gtg.values.keys()].sort((i, j) => gtg.values[i]! - gtg.values[j]!).slice(0, 2);
          expect(lowest.sort()).toEqual([6, 7]);
        }
      }
    }
  });

  it("at n = 12 it stays within the same tolerance from under a fifth of exact's 4096 evaluations", async () => {
    // Clients 0–8 clean (20–80 examples), 9–11 with shuffled labels. Measured over two tasks, both metrics
    // and three seeds: 486–731 evaluations, Σ-error 5–11% of Σ|φ|, largest error 1.1–4% of the gain.
    const task = blobTask(1, { features: 10, classes: 5, separation: 0.7 });
    const start = softmaxModel(10, 5);
    const validation = task.sample(500, 1_000);
    const clients = Array.from({ length: 12 }, (_, i) => {
      const data = task.sample(20 + 20 * (i % 4), i);
      return i >= 9 ? shuffleLabels(data, i) : data;
    });
    const updates = trainRound(start, clients, { epochs: 10, learningRate: 0.5 });
    for (const metric of ["accuracy", "loss"] as const) {
      const utility = () =>
        fedAvgUtility({
          start,
          updates,
          evaluate: (a: Arrays) =>
            metric === "accuracy" ? softmaxAccuracy(a, validation) : -softmaxLoss(a, validation),
        });
      const exact = await exactShapley(ids(12), utility());
      expect(exact.evaluations).toBe(4096);
      for (const seed of [1, 2]) {
        const gtg = await gtgShapley(ids(12), utility(), { seed });
        const errors = gtg.values.map((v, i) => Math.abs(v - exact.values[i]!));
        expect(l1(errors)).toBeLessThanOrEqual(0.15 * l1(exact.values));
        expect(Math.max(...errors)).toBeLessThanOrEqual(0.075 * Math.abs(exact.grand - exact.empty));
        expect(gtg.evaluations).toBeLessThan(4096 / 5);
      }
    }
  });

  it("leave-one-out sanity on the same round: with −loss, the shuffled clients' updates hurt and the clean ones help", async () => {
    for (const taskSeed of [1, 2, 3]) {
      const r = await leaveOneOut(ids(8), eightClients(taskSeed).utility("loss"));
      expect(r.evaluations).toBe(10);
      r.values.forEach((v, i) => {
        if (i >= 6) expect(v).toBeLessThan(0);
        else expect(v).toBeGreaterThan(0);
      });
    }
  });
});
