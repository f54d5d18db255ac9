import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import type { Reply } from "../messages.ts";
import { runDeltaScript, threeValueModel } from "../testing/deltaNodes.ts";
import { FedAvg } from "./fedAvg.ts";
import { FedAvgM } from "./fedAvgM.ts";
import { STRATEGIES } from "./registry.ts";

const x0 = threeValueModel([1, 2, 3]);
/**
 * Two nodes of weights 1 and 3. Round means of the deltas: (1·[4, −4, 0] + 3·[0, 4, 8]) / 4 = [1, 2, 6],
 * (1·[2, 0, −4] + 3·[2, −4, 0]) / 4 = [2, −3, −1], then no change.
 */
const script = {
  weights: [1, 3],
  deltas: [
    [
      [4, -4, 0],
      [0, 4, 8],
    ],
    [
      [2, 0, -4],
      [2, -4, 0],
    ],
    [
      [0, 0, 0],
      [0, 0, 0],
    ],
  ],
};
const common = { fractionEvaluate: 0 };

function expectClose(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i]!, 5);
  });
}

// The known answers below are derived by hand from the update rule; running Flower's own
// framework/py/flwr/serverapp/strategy/fedavgm.py (adap/flower@fdef7afb) over the same replies, with its
// FedAvg mean stubbed, gives the same values to within 3e-7.
describe("FedAvgM (Hsu et al. 2019; Flower's FedAvgM)", () => {
  it("applies heavy-ball momentum to the pseudo-gradient across rounds (η = 0.5, β = 0.5)", async () => {
    const { globals } = await runDeltaScript(
      new FedAvgM({ ...common, serverLearningRate: 0.5, serverMomentum: 0.5 }),
      x0,
      script,
    );
    // Round 1: g = x − mean = −[1, 2, 6]; v = g (first round); x ← [1, 2, 3] − 0.5·v = [1.5, 3, 6]
    // Round 2: g = −[2, −3, −1]; v = 0.5·[−1, −2, −6] + [−2, 3, 1] = [−2.5, 2, −2]; x ← [2.75, 2, 7]
    // Round 3: g = 0; v = 0.5·v = [−1.25, 1, −1]: momentum keeps moving x ← [3.375, 1.5, 7.5]
    expectClose(globals[0]!, [1.5, 3, 6]);
    expectClose(globals[1]!, [2.75, 2, 7]);
    expectClose(globals[2]!, [3.375, 1.5, 7.5]);
  });

  it("without momentum takes a server step of η along the mean update", async () => {
    const { globals } = await runDeltaScript(new FedAvgM({ ...common, serverLearningRate: 0.5 }), x0, script);
    // x ← x + 0.5·mean: [1.5, 3, 6], then [2.5, 1.5, 5.5], then unchanged
    expectClose(globals[0]!, [1.5, 3, 6]);
    expectClose(globals[1]!, [2.5, 1.5, 5.5]);
    expectClose(globals[2]!, [2.5, 1.5, 5.5]);
  });

  it("with the defaults (η = 1, β = 0) is exactly FedAvg", async () => {
    const strategy = new FedAvgM(common);
    expect(strategy.serverOpt).toBe(false);
    expect([strategy.serverLearningRate, strategy.serverMomentum]).toEqual([1, 0]);
    const m = await runDeltaScript(strategy, x0, script);
    const avg = await runDeltaScript(new FedAvg(common), x0, script);
    expect(m.globals).toEqual(avg.globals);
    expectClose(m.globals[1]!, [4, 1, 8]);
  });

  it("takes the pseudo-gradient against its own model: the first round's arrays, then its aggregates", async () => {
    // As Flower's `current_arrays`: the arrays a later round is configured with do not replace it.
    const strategy = new FedAvgM({ ...common, serverLearningRate: 0.5 });
    const grid = new InMemoryGrid({ nodes: 2, app: { train: never, evaluate: never } });
    const reply = (round: number, nodeId: string, values: [number, number, number]): Reply => ({
      nodeId,
      kind: "train",
      round,
      update: { arrays: threeValueModel(values), numExamples: 1, metrics: {} },
    });
    await strategy.configureTrain(1, x0, {}, grid);
    const first = strategy.aggregateTrain(1, [reply(1, "0", [3, 2, 3]), reply(1, "1", [3, 2, 3])]);
    expect([...flatten(first.arrays!)]).toEqual([2, 2, 3]);
    await strategy.configureTrain(2, threeValueModel([100, 100, 100]), {}, grid);
    const second = strategy.aggregateTrain(2, [reply(2, "0", [4, 4, 4]), reply(2, "1", [4, 4, 4])]);
    // x = [2, 2, 3] (its own), mean = [4, 4, 4]: x ← x + 0.5·(mean − x) = [3, 3, 3.5]
    expect([...flatten(second.arrays!)]).toEqual([3, 3, 3.5]);
  });

  it("refuses a learning rate ≤ 0 and a momentum outside [0, 1)", () => {
    expect(() => new FedAvgM({ serverLearningRate: 0 })).toThrow(/serverLearningRate/);
    expect(() => new FedAvgM({ serverMomentum: -0.1 })).toThrow(/serverMomentum/);
    expect(() => new FedAvgM({ serverMomentum: 1 })).toThrow(/serverMomentum/);
  });

  it("is built by the registry from the common options alone", () => {
    const strategy = STRATEGIES.fedavgm!({ fractionTrain: 0.5, seed: 2 });
    expect(strategy).toBeInstanceOf(FedAvgM);
    expect(strategy.name).toBe("FedAvgM");
  });
});

async function never(): Promise<never> {
  throw new Error("not called");
}
