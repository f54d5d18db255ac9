import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { l2Norm } from "../clipping.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { Reply } from "../messages.ts";
import { runFederation } from "../runFederation.ts";
import { SecAggPlus } from "../secagg/secAggPlus.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { NormClipping } from "../strategies/normClipping.ts";
import type { Strategy, TrainResult } from "../strategy.ts";
import { seededNoiseForTests } from "./gaussianNoise.ts";
import { computeRdp, DEFAULT_RDP_ORDERS, epsilonFromRdp } from "./rdp.ts";
import { RdpAccountant } from "./rdpAccountant.ts";
import { DifferentialPrivacyServerSideFixedClipping } from "./serverSideFixedClipping.ts";
import { deltaNodes, vectorOfNorm, zeroModel } from "./testNodes.ts";

const NORMS = [0.5, 1, 2, 4, 8];
const SIZE = 6;
const deltaOf = (node: number, round: number): Float64Array => vectorOfNorm(SIZE, NORMS[node]! * round, node);

/** FedAvg that keeps the replies it was asked to aggregate (what the wrapper passed on). */
class RecordingFedAvg extends FedAvg {
  seen: Reply[] = [];
  override aggregateTrain(round: number, replies: readonly Reply[]): TrainResult {
    this.seen = [...replies];
    return super.aggregateTrain(round, replies);
  }
}

/** Runs `strategy` over `nodes` nodes of `app` from a zero model. */
function federate(strategy: Strategy, app: NodeApp, nodes: number, rounds: number, size = SIZE) {
  return runFederation({
    strategy,
    grid: new InMemoryGrid({ nodes, app }),
    initialArrays: zeroModel(size),
    rounds,
  });
}

describe("DifferentialPrivacyServerSideFixedClipping", () => {
  it("clips every update's delta to C before the inner strategy sees it, and leaves smaller ones alone", async () => {
    const inner = new RecordingFedAvg({ fractionEvaluate: 0 });
    const dp = new DifferentialPrivacyServerSideFixedClipping(inner, {
      noiseMultiplier: 0,
      clippingNorm: 1.5,
      numSampledClients: 5,
    });
    await federate(dp, deltaNodes(deltaOf), 5, 1);
    expect(inner.seen).toHaveLength(5);
    for (const reply of inner.seen) {
      if (!("update" in reply)) throw new Error("expected updates only");
      const delta = flatten(reply.update.arrays); // the global model of round 1 is zero
      const original = deltaOf(Number(reply.nodeId), 1);
      const norm = l2Norm(delta);
      expect(norm).toBeLessThanOrEqual(1.5 * (1 + 1e-6));
      if (l2Norm(original) <= 1.5) expect([...delta]).toEqual([...Float32Array.from(original)]);
      else expect(norm).toBeCloseTo(1.5, 5);
    }
    expect(dp.norms.map((n) => Number(n.norm.toFixed(5)))).toEqual(NORMS);
    expect(dp.norms.map((n) => n.factor < 1)).toEqual([false, false, true, true, true]);
  });

  it("with zero noise gives exactly the clipping-only aggregate (NormClipping around FedAvg), round after round", async () => {
    const dp = new DifferentialPrivacyServerSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      clippingNorm: 1.5,
      numSampledClients: 5,
    });
    const plain = new NormClipping(new FedAvg({ fractionEvaluate: 0 }), { clippingNorm: 1.5 });
    const a = await federate(dp, deltaNodes(deltaOf), 5, 3);
    const b = await federate(plain, deltaNodes(deltaOf), 5, 3);
    expect([...flatten(a.arrays)]).toEqual([...flatten(b.arrays)]);
    // Known answer for round 1: the mean of the clipped deltas.
    const one = await federate(dp, deltaNodes(deltaOf), 5, 1);
    const expected = new Float64Array(SIZE);
    NORMS.forEach((_, node) => {
      const d = deltaOf(node, 1);
      const f = Math.min(1, 1.5 / l2Norm(d));
      for (let i = 0; i < SIZE; i++) expected[i]! += (f * d[i]!) / 5;
    });
    flatten(one.arrays).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i]!, 6);
    });
    expect(one.rounds[0]!.trainMetrics!["noise-stddev"]).toBe(0);
  });

  it("adds noise of standard deviation z·C/m (Flower's compute_stdv), measured on 50,001 parameters", async () => {
    const size = 50_001;
    const dp = new DifferentialPrivacyServerSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 2,
      clippingNorm: 1,
      numSampledClients: 5,
    });
    const zero = deltaNodes(() => new Float64Array(size));
    const result = await federate(dp, zero, 5, 1, size);
    const x = flatten(result.arrays);
    const std = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    expect(result.rounds[0]!.trainMetrics!["noise-stddev"]).toBe(0.4);
    expect(Math.abs(std / 0.4 - 1)).toBeLessThan(0.02); // se ≈ 1/√(2·50001) ≈ 0.3%
    expect(dp.lastRound).toMatchObject({ round: 1, clippingNorm: 1, noiseStddev: 0.4, skipped: false });
  });

  it("reports ε per round and cumulatively from its accountant, at q = sampled / available nodes", async () => {
    const accountant = new RdpAccountant({ delta: 1e-5 });
    const dp = new DifferentialPrivacyServerSideFixedClipping(
      new FedAvg({ fractionTrain: 0.25, fractionEvaluate: 0, seed: 3 }),
      {
        noiseMultiplier: 1.1,
        clippingNorm: 1,
        numSampledClients: 5,
        accountant,
        noise: seededNoiseForTests(1),
      },
    );
    const result = await federate(
      dp,
      deltaNodes(() => vectorOfNorm(SIZE, 0.3)),
      20,
      3,
    );
    const expected = (steps: number): number =>
      epsilonFromRdp(DEFAULT_RDP_ORDERS, computeRdp(0.25, 1.1, steps), 1e-5).epsilon;
    result.rounds.forEach((record, k) => {
      expect(record.trainMetrics!.epsilon).toBeCloseTo(expected(k + 1), 10);
      expect(record.trainMetrics!["epsilon-round"]).toBeCloseTo(expected(1), 10);
    });
    expect(accountant.history.map((h) => h.samplingRate)).toEqual([0.25, 0.25, 0.25]);
  });

  it("releases nothing in a round with a failed reply (as Flower), unless failures are accepted", async () => {
    const flaky: NodeApp = {
      ...deltaNodes(deltaOf),
      async train(message) {
        if (message.nodeId === "4") throw new Error("node down");
        return deltaNodes(deltaOf).train(message);
      },
    };
    const strict = new DifferentialPrivacyServerSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 1,
      clippingNorm: 1,
      numSampledClients: 5,
      accountant: new RdpAccountant({ delta: 1e-5 }),
    });
    const skipped = await federate(strict, flaky, 5, 1);
    expect([...flatten(skipped.arrays)]).toEqual(new Array(SIZE).fill(0));
    expect(skipped.rounds[0]!.trainMetrics).toEqual({ "dp-skipped": 1, "dp-failed-replies": 1 });
    expect(strict.accountant!.history).toHaveLength(0);
    const lenient = new DifferentialPrivacyServerSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      clippingNorm: 1,
      numSampledClients: 5,
      acceptFailures: true,
    });
    const aggregated = await federate(lenient, flaky, 5, 1);
    expect(l2Norm(flatten(aggregated.arrays))).toBeGreaterThan(0);
    expect(aggregated.rounds[0]!.trainMetrics!["dp-updates"]).toBe(4); // fewer than m = 5: visible
  });

  it("refuses a strategy that hides updates (secure aggregation) and invalid options", () => {
    expect(
      () =>
        new DifferentialPrivacyServerSideFixedClipping(new SecAggPlus(new FedAvg()), {
          noiseMultiplier: 1,
          clippingNorm: 1,
          numSampledClients: 5,
        }),
    ).toThrow(expect.objectContaining({ code: "FL_WRAP_UNSUPPORTED" }));
    const bad = (o: { noiseMultiplier: number; clippingNorm: number; numSampledClients: number }) => () =>
      new DifferentialPrivacyServerSideFixedClipping(new FedAvg(), o);
    expect(bad({ noiseMultiplier: -1, clippingNorm: 1, numSampledClients: 5 })).toThrow(/noise multiplier/);
    expect(bad({ noiseMultiplier: 1, clippingNorm: 0, numSampledClients: 5 })).toThrow(/clippingNorm/);
    expect(bad({ noiseMultiplier: 1, clippingNorm: 1, numSampledClients: 0 })).toThrow(/numSampledClients/);
  });
});
