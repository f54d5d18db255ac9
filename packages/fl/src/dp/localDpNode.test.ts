import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { l2Norm } from "../clipping.ts";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import { runFederation } from "../runFederation.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { seededNoiseForTests } from "./gaussianNoise.ts";
import { localDpNode, localDpNodeStd } from "./localDpNode.ts";
import { computeRdp, DEFAULT_RDP_ORDERS, epsilonFromRdp } from "./rdp.ts";
import { deltaNodes, vectorOfNorm, zeroModel } from "./testNodes.ts";

const message = (size: number) => ({
  nodeId: "0",
  kind: "train" as const,
  round: 1,
  arrays: zeroModel(size),
  config: {},
});

describe("localDpNode (Flower's LocalDpMod)", () => {
  it("noise std is Δ·√(2 ln(1.25/δ))/ε: the known value and a measured one on 100,001 parameters", async () => {
    const options = { clippingNorm: 1, sensitivity: 1, epsilon: 0.5, delta: 1e-5 };
    const std = localDpNodeStd(options);
    expect(std).toBeCloseTo((1 * Math.sqrt(2 * Math.log(125_000))) / 0.5, 12); // ≈ 9.6896
    expect(std).toBeCloseTo(9.6896, 4);
    const size = 100_001;
    const node = localDpNode(
      deltaNodes(() => new Float64Array(size)),
      options,
    );
    const update = await node.train(message(size));
    const x = flatten(update.arrays);
    const sampleStd = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    expect(Math.abs(sampleStd / std - 1)).toBeLessThan(0.015); // se ≈ 1/√(2·100001) ≈ 0.22%
    expect(update.metrics).toMatchObject({ "local-epsilon": 0.5, "local-delta": 1e-5, loss: 1 });
  });

  it("clips the update to C before noising (with Δ = 0 the update is exactly clipped)", async () => {
    const node = localDpNode(
      deltaNodes(() => vectorOfNorm(8, 5)),
      { clippingNorm: 2, sensitivity: 0, epsilon: 1, delta: 1e-5 },
    );
    const update = await node.train(message(8));
    expect(l2Norm(flatten(update.arrays))).toBeCloseTo(2, 5);
  });

  it("runs in a federation: every update leaves its node noised, so the mean carries std/√n noise", async () => {
    const size = 20_001;
    const nodes = 4;
    const options = {
      clippingNorm: 1,
      sensitivity: 0.1,
      epsilon: 0.9,
      delta: 1e-5,
      noise: seededNoiseForTests(5),
    };
    const result = await runFederation({
      strategy: new FedAvg({ fractionEvaluate: 0 }),
      grid: new InMemoryGrid({
        nodes,
        app: localDpNode(
          deltaNodes(() => new Float64Array(size)),
          options,
        ),
      }),
      initialArrays: zeroModel(size),
      rounds: 1,
    });
    const x = flatten(result.arrays);
    const sampleStd = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    expect(Math.abs(sampleStd / (localDpNodeStd(options) / Math.sqrt(nodes)) - 1)).toBeLessThan(0.03);
  });

  it("with accountingDelta reports each node's cumulative ε, composed in RDP: below r·ε after r releases", async () => {
    const options = { clippingNorm: 1, sensitivity: 1, epsilon: 0.5, delta: 1e-5, accountingDelta: 1e-5 };
    const node = localDpNode(
      deltaNodes(() => [0, 0, 0, 0]),
      options,
    );
    const spent: number[] = [];
    for (let round = 1; round <= 20; round++) {
      const update = await node.train({ ...message(4), round });
      spent.push(update.metrics["local-epsilon-spent"]!);
    }
    const other = await node.train({ ...message(4), nodeId: "1" });
    expect(other.metrics["local-epsilon-spent"]).toBe(spent[0]); // counted per node
    for (let k = 1; k < spent.length; k++) expect(spent[k]!).toBeGreaterThan(spent[k - 1]!);
    const z = localDpNodeStd(options); // Δ = 1
    expect(spent[19]).toBeCloseTo(epsilonFromRdp(DEFAULT_RDP_ORDERS, computeRdp(1, z, 20), 1e-5).epsilon, 12);
    expect(spent[19]!).toBeLessThan(20 * 0.5);
  });

  it("checks its options as Flower does", () => {
    const app = deltaNodes(() => [0]);
    const ok = { clippingNorm: 1, sensitivity: 1, epsilon: 1, delta: 1e-5 };
    expect(() => localDpNode(app, { ...ok, clippingNorm: 0 })).toThrow(/clippingNorm/);
    expect(() => localDpNode(app, { ...ok, sensitivity: -1 })).toThrow(/sensitivity/);
    expect(() => localDpNode(app, { ...ok, epsilon: 0 })).toThrow(/epsilon/);
    expect(() => localDpNode(app, { ...ok, delta: 0 })).toThrow(/delta/);
  });
});
