import { describe, expect, it } from "vitest";
import { runDeltaScript, threeValueModel } from "../testing/deltaNodes.ts";
import { FedAdagrad } from "./fedAdagrad.ts";
import { STRATEGIES } from "./registry.ts";

function expectClose(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i]!, 5);
  });
}

// The known answers below are derived by hand from the update rule; running Flower's own
// framework/py/flwr/serverapp/strategy/fedadagrad.py (adap/flower@fdef7afb) over the same replies, with its
// FedAvg mean stubbed, gives the same values to within 3e-7.
describe("FedAdagrad (Reddi et al. 2021, Algorithm 2; Flower's FedAdagrad)", () => {
  it("accumulates v = Σ Δ² over three rounds, with m = Δ", async () => {
    // η = 1, τ = 1; nodes of weights 1 and 3 with mean deltas Δ₁ = [3, −4, 0], Δ₂ = [4, 3, 2], Δ₃ = [−12, 0, 0]
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
          [
            [2.5, 3, 5],
            [4.5, 3, 1],
          ],
          [
            [-12, -3, 0],
            [-12, 1, 0],
          ],
        ],
      },
    );
    // Round 1: v = [9, 16, 0]: x = [1, 2, 3] + [3/(3+1), −4/(4+1), 0/(0+1)] = [1.75, 1.2, 3]
    expectClose(globals[0]!, [1.75, 1.2, 3]);
    // Round 2: v = [25, 25, 4]: x += [4/6, 3/6, 2/3]
    expectClose(globals[1]!, [2.4166667, 1.7, 3.6666667]);
    // Round 3: v = [169, 25, 4]: x += [−12/14, 0, 0]
    expectClose(globals[2]!, [1.5595238, 1.7, 3.6666667]);
  });

  it("has Flower's defaults: η = 0.1, η_l = 0.1, τ = 1e-3, no moment decay", async () => {
    const strategy = new FedAdagrad({ fractionEvaluate: 0 });
    expect([strategy.eta, strategy.etaL, strategy.beta1, strategy.beta2, strategy.tau]).toEqual([
      0.1, 0.1, 0, 0, 1e-3,
    ]);
    const { globals } = await runDeltaScript(strategy, threeValueModel([0, 0, 0]), {
      weights: [1, 1],
      deltas: [
        [
          [1, -2, 0],
          [1, -2, 0],
        ],
      ],
    });
    // x = 0.1·Δ / (|Δ| + 1e-3)
    expectClose(globals[0]!, [0.0999001, -0.09995, 0]);
  });

  it("is built by the registry from the common options alone", () => {
    expect(STRATEGIES.fedadagrad!({ seed: 9 })).toBeInstanceOf(FedAdagrad);
  });
});
