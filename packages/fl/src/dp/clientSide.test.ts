import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { l2Norm } from "../clipping.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { Config } from "../messages.ts";
import { runFederation } from "../runFederation.ts";
import { secAggPlusNode } from "../secagg/node.ts";
import { SecAggPlus } from "../secagg/secAggPlus.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import type { Strategy } from "../strategy.ts";
import { DifferentialPrivacyClientSideAdaptiveClipping } from "./clientSideAdaptiveClipping.ts";
import { DifferentialPrivacyClientSideFixedClipping } from "./clientSideFixedClipping.ts";
import { adaptiveClippingNode, fixedClippingNode } from "./clippingNodes.ts";
import { seededNoiseForTests } from "./gaussianNoise.ts";
import { KEY_CLIPPING_NORM } from "./noiseCalibration.ts";
import { DifferentialPrivacyServerSideFixedClipping } from "./serverSideFixedClipping.ts";
import { deltaNodes, vectorOfNorm, zeroModel } from "./testNodes.ts";

const SIZE = 6;
const NORMS = [0.5, 1, 2, 4, 8];
const deltaOf = (node: number, round: number): Float64Array => vectorOfNorm(SIZE, NORMS[node]! * round, node);

function federate(strategy: Strategy, app: NodeApp, rounds: number, nodes = 5) {
  return runFederation({
    strategy,
    grid: new InMemoryGrid({ nodes, app }),
    initialArrays: zeroModel(SIZE),
    rounds,
  });
}

describe("fixedClippingNode and adaptiveClippingNode", () => {
  const message = (config: Config) => ({
    nodeId: "3",
    kind: "train" as const,
    round: 1,
    arrays: zeroModel(SIZE),
    config,
  });

  it("clip the node's update to the norm the server sent; the adaptive one reports the norm bit", async () => {
    const fixed = await fixedClippingNode(deltaNodes(deltaOf)).train(message({ [KEY_CLIPPING_NORM]: 1.5 }));
    expect(l2Norm(flatten(fixed.arrays))).toBeCloseTo(1.5, 5);
    const adaptive = adaptiveClippingNode(deltaNodes(deltaOf));
    const clipped = await adaptive.train(message({ [KEY_CLIPPING_NORM]: 1.5 }));
    expect(clipped.metrics).toEqual({ loss: 1, "norm-bit": 1 });
    const kept = await adaptive.train(message({ [KEY_CLIPPING_NORM]: 5 }));
    expect(kept.metrics["norm-bit"]).toBe(0);
    expect([...flatten(kept.arrays)]).toEqual([...Float32Array.from(deltaOf(3, 1))]);
  });

  it("refuse to train without a clipping norm from the server", async () => {
    await expect(fixedClippingNode(deltaNodes(deltaOf)).train(message({}))).rejects.toMatchObject({
      code: "FL_DP_CLIPPING_NORM_MISSING",
    });
  });
});

describe("DifferentialPrivacyClientSideFixedClipping", () => {
  it("sends C to the nodes and, with zero noise, gives the same models as server-side clipping", async () => {
    const configs = new Map<string, Config>();
    const client = new DifferentialPrivacyClientSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      clippingNorm: 1.5,
      numSampledClients: 5,
    });
    const server = new DifferentialPrivacyServerSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      clippingNorm: 1.5,
      numSampledClients: 5,
    });
    const a = await federate(client, fixedClippingNode(deltaNodes(deltaOf, configs)), 3);
    const b = await federate(server, deltaNodes(deltaOf), 3);
    expect([...flatten(a.arrays)]).toEqual([...flatten(b.arrays)]);
    expect([...configs.values()].every((c) => c[KEY_CLIPPING_NORM] === 1.5)).toBe(true);
    expect(configs.size).toBe(15);
    expect(a.rounds.every((r) => r.trainMetrics!["overnorm-updates"] === 0)).toBe(true);
  });

  it("clips on the server any visible update a node failed to clip, and counts it", async () => {
    const dp = new DifferentialPrivacyClientSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      clippingNorm: 1.5,
      numSampledClients: 5,
    });
    const result = await federate(dp, deltaNodes(deltaOf), 1); // nodes that ignore clipping-norm
    expect(result.rounds[0]!.trainMetrics!["overnorm-updates"]).toBe(3);
    expect(dp.norms.every((n) => n.norm * n.factor <= 1.5 * (1 + 1e-6))).toBe(true);
  });

  it("wraps SecAgg+: nodes clip before masking and the noise goes on the unmasked mean", async () => {
    const noiseless = new DifferentialPrivacyClientSideFixedClipping(
      new SecAggPlus(new FedAvg({ fractionEvaluate: 0 }), { maxWeight: 1 }),
      { noiseMultiplier: 0, clippingNorm: 1.5, numSampledClients: 5 },
    );
    const app = secAggPlusNode(fixedClippingNode(deltaNodes(deltaOf)), { roundingSeed: 1 });
    const secure = await federate(noiseless, app, 1);
    const plain = await federate(
      new DifferentialPrivacyServerSideFixedClipping(new FedAvg({ fractionEvaluate: 0 }), {
        noiseMultiplier: 0,
        clippingNorm: 1.5,
        numSampledClients: 5,
      }),
      deltaNodes(deltaOf),
      1,
    );
    const diff = flatten(secure.arrays).map((v, i) => Math.abs(v - flatten(plain.arrays)[i]!));
    expect(Math.max(...diff)).toBeLessThan(1e-4); // SecAgg+'s fixed-point quantization (weights of 1 = maxWeight)
    expect(secure.rounds[0]).toMatchObject({ sent: 5, replied: 5, failed: 0 });

    const noisy = new DifferentialPrivacyClientSideFixedClipping(
      new SecAggPlus(new FedAvg({ fractionEvaluate: 0 }), { maxWeight: 1 }),
      {
        noiseMultiplier: 1,
        clippingNorm: 1.5,
        numSampledClients: 5,
        noise: seededNoiseForTests(2),
      },
    );
    const released = await federate(noisy, app, 1);
    expect(released.rounds[0]!.trainMetrics!["noise-stddev"]).toBeCloseTo(0.3, 15);
    expect(noisy.lastRound).toMatchObject({ skipped: false, noiseStddev: 0.3, updates: 5 });
    expect(
      Math.max(...flatten(released.arrays).map((v, i) => Math.abs(v - flatten(secure.arrays)[i]!))),
    ).toBeGreaterThan(1e-3);
  });
});

describe("DifferentialPrivacyClientSideAdaptiveClipping", () => {
  const tenNorms = adaptiveClippingNode(deltaNodes((node) => vectorOfNorm(SIZE, node + 1, node)));

  it("moves C toward the target quantile from the nodes' norm bits and never releases their raw mean", async () => {
    const dp = new DifferentialPrivacyClientSideAdaptiveClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      numSampledClients: 10,
      initialClippingNorm: 0.1,
    });
    const result = await federate(dp, tenNorms, 70, 10);
    expect(dp.clippingNorm).toBeGreaterThanOrEqual(5);
    expect(dp.clippingNorm).toBeLessThanOrEqual(6);
    for (const r of result.rounds) {
      expect(r.trainMetrics).not.toHaveProperty("norm-bit");
      expect(r.trainMetrics!["overnorm-updates"]).toBe(0);
    }
    expect(result.rounds[0]!.trainMetrics!["clipped-fraction"]).toBe(1);
    expect(result.rounds[0]!.trainMetrics!["clipping-norm"]).toBe(0.1);
    expect(result.rounds[1]!.trainMetrics!["clipping-norm"]).toBeCloseTo(0.1 * Math.exp(0.1), 12);
  });

  it("fails the round with a clear error when a node does not report its norm bit", async () => {
    const dp = new DifferentialPrivacyClientSideAdaptiveClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      numSampledClients: 5,
    });
    await expect(federate(dp, fixedClippingNode(deltaNodes(deltaOf)), 1)).rejects.toMatchObject({
      code: "FL_DP_NORM_BIT_MISSING",
    });
    expect(
      () =>
        new DifferentialPrivacyClientSideAdaptiveClipping(new SecAggPlus(new FedAvg()), {
          noiseMultiplier: 0,
          numSampledClients: 5,
        }),
    ).toThrow(expect.objectContaining({ code: "FL_WRAP_UNSUPPORTED" }));
  });
});
