import { describe, expect, it } from "vitest";
import { runDeltaScript, threeValueModel } from "../testing/deltaNodes.ts";
import { FedAdam } from "./fedAdam.ts";
import { FedYogi } from "./fedYogi.ts";
import { STRATEGIES } from "./registry.ts";

function expectClose(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i]!, 5);
  });
}

/** Weighted mean deltas Δ₁ = [2, −4, 0], Δ₂ = [0.5, 4, 2], Δ₃ = 0 over nodes of weights 1 and 3. */
const script = {
  weights: [1, 3],
  deltas: [
    [
      [-1, -4, -3],
      [3, -4, 1],
    ],
    [
      [-1, 1, -1],
      [1, 5, 3],
    ],
    [
      [-3, -3, 0],
      [1, 1, 0],
    ],
  ],
};
const options = { fractionEvaluate: 0, eta: 1, beta1: 0.5, beta2: 0.75, tau: 0.5 };

// The known answers below are derived by hand from the update rule; running Flower's own
// framework/py/flwr/serverapp/strategy/fedyogi.py (adap/flower@fdef7afb) over the same replies, with its
// FedAvg mean stubbed, gives the same values to within 3e-7.
describe("FedYogi (Reddi et al. 2021, Algorithm 2; Flower's FedYogi)", () => {
  it("updates v additively by the sign of v − Δ², across three rounds", async () => {
    const { globals } = await runDeltaScript(new FedYogi(options), threeValueModel([1, 2, 3]), script);
    // Round 1: m = 0.5·Δ₁ = [1, −2, 0]; v = 0 − 0.25·Δ₁²·sign(0 − Δ₁²) = [1, 4, 0] (sign 0 for Δ = 0);
    //   x = [1, 2, 3] + [1/1.5, −2/2.5, 0/0.5]
    expectClose(globals[0]!, [1.6666667, 1.2, 3]);
    // Round 2: Δ₂² = [0.25, 16, 4]; sign(v − Δ₂²) = [+1, −1, −1]: v = [1 − 0.0625, 4 + 4, 0 + 1] = [0.9375, 8, 1];
    //   m = [0.75, 1, 1]; x += m / (√v + 0.5)
    expectClose(globals[1]!, [2.1774803, 1.5004422, 3.6666667]);
    // Round 3: Δ = 0 leaves v as it is (Adam would decay it); m = [0.375, 0.5, 0.5]
    expectClose(globals[2]!, [2.4328871, 1.6506633, 4]);
  });

  it("differs from FedAdam where v > Δ² (no bias correction, additive v)", async () => {
    const yogi = await runDeltaScript(new FedYogi(options), threeValueModel([1, 2, 3]), script);
    const adam = await runDeltaScript(new FedAdam(options), threeValueModel([1, 2, 3]), script);
    expect(Math.abs(yogi.globals[1]![0]! - adam.globals[1]![0]!)).toBeGreaterThan(0.01);
  });

  it("has Flower's defaults: η = 1e-2, η_l = 0.0316, β₁ = 0.9, β₂ = 0.99, τ = 1e-3", async () => {
    const strategy = new FedYogi({ fractionEvaluate: 0 });
    expect([strategy.eta, strategy.etaL, strategy.beta1, strategy.beta2, strategy.tau]).toEqual([
      0.01, 0.0316, 0.9, 0.99, 1e-3,
    ]);
    const { globals } = await runDeltaScript(strategy, threeValueModel([0, 0, 0]), {
      weights: [2, 2],
      deltas: [
        [
          [1, -2, 0],
          [1, -2, 0],
        ],
      ],
    });
    // m = 0.1·Δ, v = 0.01·Δ²: x = 0.01·0.1·Δ / (0.1·|Δ| + 1e-3)
    expectClose(globals[0]!, [0.009901, -0.0099502, 0]);
  });

  it("is built by the registry from the common options alone", () => {
    expect(STRATEGIES.fedyogi!({ minTrainNodes: 1 })).toBeInstanceOf(FedYogi);
  });
});
