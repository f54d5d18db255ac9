import { describe, expect, it } from "vitest";
import { runDeltaScript, threeValueModel } from "../testing/deltaNodes.ts";
import { FedAdam } from "./fedAdam.ts";
import { STRATEGIES } from "./registry.ts";

function expectClose(actual: readonly number[], expected: readonly number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((v, i) => {
    expect(v).toBeCloseTo(expected[i]!, 5);
  });
}

// The known answers below are derived by hand from the update rule; running Flower's own
// framework/py/flwr/serverapp/strategy/fedadam.py (adap/flower@fdef7afb) over the same replies, with its
// FedAvg mean stubbed, gives the same values to within 3e-7.
describe("FedAdam (Reddi et al. 2021, Algorithm 2; Flower's FedAdam)", () => {
  it("keeps m and v across three rounds and corrects the step with exponents round + 1", async () => {
    // η = 1, β₁ = 0.6, β₂ = 0.75, τ = 0.5; nodes of weights 1 and 3 whose weighted mean deltas are
    // Δ₁ = [2, −4, 0], Δ₂ = [0, 4, 2], Δ₃ = [0, 0, 0] (node 0 gets Δ − 3e, node 1 gets Δ + e).
    const { globals } = await runDeltaScript(
      new FedAdam({ fractionEvaluate: 0, eta: 1, beta1: 0.6, beta2: 0.75, tau: 0.5 }),
      threeValueModel([1, 2, 3]),
      {
        weights: [1, 3],
        deltas: [
          [
            [-1, -4, -3],
            [3, -4, 1],
          ],
          [
            [-3, 1, -1],
            [1, 5, 3],
          ],
          [
            [-6, 0, 3],
            [2, 0, -1],
          ],
        ],
      },
    );
    // Round 1: m = 0.4·Δ₁ = [0.8, −1.6, 0]; v = 0.25·Δ₁² = [1, 4, 0];
    //   η₁ = √(1 − 0.75²) / (1 − 0.6²) = 1.0334966; x = [1, 2, 3] + η₁·[0.8/1.5, −1.6/2.5, 0/0.5]
    expectClose(globals[0]!, [1.5511982, 1.3385622, 3]);
    // Round 2: m = 0.6·m + 0.4·Δ₂ = [0.48, 0.64, 0.8]; v = 0.75·v + 0.25·Δ₂² = [0.75, 7, 1];
    //   η₂ = √(1 − 0.75³) / (1 − 0.6³) = 0.9698282; x += η₂·m / (√v + 0.5)
    expectClose(globals[1]!, [1.8919807, 1.5358728, 3.5172417]);
    // Round 3: Δ = 0 but momentum moves on: m = [0.288, 0.384, 0.48]; v = [0.5625, 5.25, 0.75];
    //   η₃ = √(1 − 0.75⁴) / (1 − 0.6⁴) = 0.9499050
    expectClose(globals[2]!, [2.1108388, 1.6665521, 3.8510235]);
  });

  it("has Flower's defaults: η = 0.1, η_l = 0.1, β₁ = 0.9, β₂ = 0.99, τ = 1e-3", async () => {
    const strategy = new FedAdam({ fractionEvaluate: 0 });
    expect([strategy.eta, strategy.etaL, strategy.beta1, strategy.beta2, strategy.tau]).toEqual([
      0.1, 0.1, 0.9, 0.99, 1e-3,
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
    // m = 0.1·Δ, v = 0.01·Δ², η₁ = 0.1·√(1 − 0.99²) / (1 − 0.9²) = 0.0742460: x = η₁·0.1·Δ / (0.1·|Δ| + 1e-3)
    expectClose(globals[0]!, [0.0735109, -0.0738766, 0]);
  });

  it("refuses β outside [0, 1) and a τ or η ≤ 0", () => {
    expect(() => new FedAdam({ beta1: 1 })).toThrow(/beta1/);
    expect(() => new FedAdam({ beta2: -0.5 })).toThrow(/beta2/);
    expect(() => new FedAdam({ tau: 0 })).toThrow(/tau/);
    expect(() => new FedAdam({ eta: Number.NaN })).toThrow(/eta/);
  });

  it("is built by the registry from the common options alone", () => {
    expect(STRATEGIES.fedadam!({ fractionTrain: 0.3 })).toBeInstanceOf(FedAdam);
  });
});
