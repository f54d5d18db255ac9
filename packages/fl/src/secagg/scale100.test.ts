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

describe("SecAgg+ at 100 nodes", () => {
  it("100 nodes, complete graph, ⌊100/3⌋ = 33 dropouts spread over every stage", async () => {
    const plan = new Map<NodeId, DropoutPoint>();
    const points: DropoutPoint[] = ["setup", "share-keys", "train", "masked-input", "unmask"];
    for (let i = 0; i < 33; i++) plan.set(String(i * 3), points[i % points.length]!);
    const app = droppingNode(secAggPlusNode(droppingNode(trainingApp, plan)), plan);
    const strategy = new SecAggPlus(new FedAvg({ minTrainNodes: 100 }));
    const base = modelOf(20);
    const out = await strategy.trainRound(1, base, {}, new InMemoryGrid({ nodes: 100, app }));
    const included = ids(100).filter((id) => !plan.has(id) || plan.get(id) === "unmask");
    expect(strategy.lastRound).toMatchObject({ neighbours: 99, threshold: 67, complete: true });
    expect(strategy.lastRound!.included).toHaveLength(included.length);
    expect(maxDiff(flatten(out.arrays!), plainMean(base, included))).toBeLessThanOrEqual(
      quantizationBound(included),
    );
  }, 60_000);
});
