import { FedOpt, type FedOptOptions } from "./fedOpt.ts";

/**
 * FedYogi — Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2 with Yogi's additive
 * second moment (Zaheer et al. 2018) v ← v − (1 − β₂)·Δ²·sign(v − Δ²), which grows v no faster than Adam
 * does. v starts at zero, as in Flower's `FedYogi` (no bias correction). Defaults are Flower's: η = 1e-2,
 * η_l = 0.0316, β₁ = 0.9, β₂ = 0.99, τ = 1e-3.
 */
export class FedYogi extends FedOpt {
  override readonly name: string = "FedYogi";

  constructor(options: FedOptOptions = {}) {
    super(options, { eta: 1e-2, etaL: 0.0316, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
  }

  protected override updateSecondMoment(v: Float64Array, delta: Float64Array): void {
    for (let i = 0; i < v.length; i++) {
      const d2 = delta[i]! ** 2;
      v[i] = v[i]! - (1 - this.beta2) * d2 * Math.sign(v[i]! - d2);
    }
  }
}
