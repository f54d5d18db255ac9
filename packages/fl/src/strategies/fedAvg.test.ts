import { createRng } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { type Arrays, flatten, weightedMeanReference } from "../arrays.ts";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import type { Metrics, Reply } from "../messages.ts";
import type { TrainResult } from "../strategy.ts";
import { FedAvg } from "./fedAvg.ts";

const model = (seed: number): Arrays => {
  const rng = createRng(seed);
  const data = (n: number) => Float32Array.from({ length: n }, () => rng.next() - 0.5);
  return new Map([
    ["w1", { shape: [3, 5], data: data(15) }],
    ["b1", { shape: [5], data: data(5) }],
    ["w2", { shape: [5, 2], data: data(10) }],
  ]);
};

async function configured(strategy: FedAvg, nodes: number) {
  const grid = new InMemoryGrid({
    nodes,
    app: {
      train: async () => ({ arrays: model(0), numExamples: 1, metrics: {} }),
      evaluate: async () => ({ numExamples: 0, metrics: {} }),
    },
  });
  return strategy.configureTrain(1, model(0), {}, grid);
}

const reply = (nodeId: string, arrays: Arrays, numExamples: number): Reply => ({
  nodeId,
  kind: "train",
  round: 1,
  update: { arrays, numExamples, metrics: { loss: numExamples } },
});

describe("FedAvg.aggregateTrain", () => {
  it("is the sample-weighted mean of the flattened updates, to the bit, for 1 to 9 updates", async () => {
    for (let n = 1; n <= 9; n++) {
      const strategy = new FedAvg({ minTrainNodes: n, minAvailableNodes: n });
      await configured(strategy, n);
      const models = Array.from({ length: n }, (_, i) => model(10 + i));
      const sizes = models.map((_, i) => 3 + ((i * 5) % 11));
      const result = strategy.aggregateTrain(
        1,
        models.map((m, i) => reply(String(i), m, sizes[i]!)),
      );
      const expected = Float32Array.from(
        weightedMeanReference(
          models.map((m) => flatten(m)),
          sizes,
        ),
      );
      expect(flatten(result.arrays!)).toEqual(expected);
      expect(result.arrays!.get("w2")!.shape).toEqual([5, 2]);
    }
  });

  it("leaves out an update holding a NaN or an infinity, naming it, and averages the rest", async () => {
    const strategy = new FedAvg({ minTrainNodes: 4, minAvailableNodes: 4 });
    await configured(strategy, 4);
    const models = [model(1), model(2), model(3), model(4)];
    const poisoned = new Map(
      [...models[2]!].map(([k, p]) => [k, { shape: p.shape, data: Float32Array.from(p.data) }]),
    );
    poisoned.get("b1")!.data[3] = Number.NaN;
    const infinite = new Map(
      [...models[3]!].map(([k, p]) => [k, { shape: p.shape, data: Float32Array.from(p.data) }]),
    );
    infinite.get("w1")!.data[0] = Number.NEGATIVE_INFINITY;
    const result = strategy.aggregateTrain(1, [
      reply("a", models[0]!, 5),
      reply("b", models[1]!, 7),
      reply("c", poisoned, 9),
      reply("d", infinite, 2),
    ]);
    expect(strategy.rejected.map((r) => [r.nodeId, r.code])).toEqual([
      ["c", "FL_UPDATE_INVALID"],
      ["d", "FL_UPDATE_INVALID"],
    ]);
    expect(strategy.rejected[0]!.message).toMatch(/NaN or infinite/);
    expect(flatten(result.arrays!)).toEqual(
      Float32Array.from(weightedMeanReference([flatten(models[0]!), flatten(models[1]!)], [5, 7])),
    );
    expect(result.metrics).toEqual({ loss: (5 * 5 + 7 * 7) / 12 });
    // The next clean round has no rejections left over.
    strategy.aggregateTrain(1, [reply("a", models[0]!, 5), reply("b", models[1]!, 7)]);
    expect(strategy.rejected).toEqual([]);
  });

  it("hands a subclass that keeps the mean a new one every round", async () => {
    const kept: Float64Array[] = [];
    class Keeping extends FedAvg {
      override aggregateMean(
        round: number,
        mean: Float64Array,
        total: number,
        metrics: Metrics,
      ): TrainResult {
        kept.push(mean);
        return super.aggregateMean(round, mean, total, metrics);
      }
    }
    const strategy = new Keeping({ minTrainNodes: 2, minAvailableNodes: 2 });
    await configured(strategy, 2);
    strategy.aggregateTrain(1, [reply("a", model(1), 1), reply("b", model(2), 1)]);
    const first = Float64Array.from(kept[0]!);
    strategy.aggregateTrain(1, [reply("a", model(3), 1), reply("b", model(4), 1)]);
    expect(kept[1]).not.toBe(kept[0]);
    expect(kept[0]).toEqual(first);
  });
});
