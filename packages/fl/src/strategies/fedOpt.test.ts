import { describe, expect, it } from "vitest";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import { runDeltaScript, threeValueModel } from "../testing/deltaNodes.ts";
import { FedAdagrad } from "./fedAdagrad.ts";
import { FedAdam } from "./fedAdam.ts";
import { FedYogi } from "./fedYogi.ts";

function expectClose(actual: readonly number[], expected: readonly number[]): void {
  actual.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i]!, 5);
  });
}

describe("FedOpt, the server optimizers' shared state", () => {
  it("a round without any usable update keeps the model and leaves m and v untouched", async () => {
    // Round 2's nodes all fail (no script for them); rounds 1 and 3 are FedAdagrad's known answer.
    const { globals } = await runDeltaScript(
      new FedAdagrad({ fractionEvaluate: 0, eta: 1, tau: 1 }),
      threeValueModel([1, 2, 3]),
      {
        weights: [1, 3],
        deltas: [
          [
            [0, -1, -1.5],
            [4, -5, 0.5],
          ],
          [],
          [
            [2.5, 3, 5],
            [4.5, 3, 1],
          ],
        ],
      },
    );
    expectClose(globals[0]!, [1.75, 1.2, 3]);
    expectClose(globals[1]!, [1.75, 1.2, 3]);
    // v = [9, 16, 0] + [16, 9, 4]: x += [4/6, 3/6, 2/3]
    expectClose(globals[2]!, [2.4166667, 1.7, 3.6666667]);
  });

  it("refuses to aggregate before a round is configured and when the model's size changes", async () => {
    for (const strategy of [new FedAdam(), new FedYogi(), new FedAdagrad()]) {
      expect(() => strategy.aggregateMean(1, Float64Array.of(1, 2, 3), 1, {})).toThrow(/configured/);
      const grid = new InMemoryGrid({ nodes: 2, app: { train: never, evaluate: never } });
      await strategy.configureTrain(1, threeValueModel([0, 0, 0]), {}, grid);
      strategy.aggregateMean(1, Float64Array.of(1, 2, 3), 1, {});
      const smaller = new Map([["a", { shape: [2], data: Float32Array.of(0, 0) }]]);
      await strategy.configureTrain(2, smaller, {}, grid);
      expect(() => strategy.aggregateMean(2, Float64Array.of(1, 2), 1, {})).toThrow(
        expect.objectContaining({ code: "FL_ARRAYS_MISMATCH" }),
      );
    }
  });
});

async function never(): Promise<never> {
  throw new Error("not called");
}
