import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import type { NodeId } from "../messages.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { secAggPlusNode } from "./node.ts";
import { SecAggPlus } from "./secAggPlus.ts";
import { type DropoutPoint, droppingNode } from "./simulation.ts";
import { maxDiff, modelOf, plainMean, quantizationBound, trainingApp } from "./testKit.ts";

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => String(i));

describe("SecAgg+ at 1,000 nodes", () => {
  it("1,000 nodes on a sparse graph: 14 neighbours each, uploads independent of n", async () => {
    // δ = 2%: neighbourhoods of 15 with t = 8 keep a majority under a random 2% of dropouts w.p. 1 − 10⁻⁶.
    const plan = new Map<NodeId, DropoutPoint>();
    for (let i = 0; i < 20; i++) plan.set(String(i * 49 + 7), i % 2 === 0 ? "train" : "unmask");
    const app = droppingNode(secAggPlusNode(droppingNode(trainingApp, plan)), plan);
    const strategy = new SecAggPlus(new FedAvg({ minTrainNodes: 1000 }), { dropoutFraction: 0.02 });
    const base = modelOf(10);
    const out = await strategy.trainRound(1, base, {}, new InMemoryGrid({ nodes: 1000, app }));
    const report = strategy.lastRound!;
    expect(report).toMatchObject({ neighbours: 14, threshold: 8, complete: false });
    const included = ids(1000).filter((id) => plan.get(id) !== "train");
    expect(report.included).toHaveLength(included.length);
    expect(maxDiff(flatten(out.arrays!), plainMean(base, included))).toBeLessThanOrEqual(
      quantizationBound(included),
    );
    // O(k) per node: keys, 14 share ciphertexts and commitments, the masked vector, ≤ 15 shares back.
    const uploads = [...report.uploadBytes.values()];
    expect(Math.max(...uploads)).toBeLessThan(2500);
  }, 120_000);
});
