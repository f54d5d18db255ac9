import { FedOpt, type FedOptOptions } from "./fedOpt.ts";

/**
 * FedAdam — Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2 with Adam's second
 * moment v ← β₂·v + (1 − β₂)·Δ², and (as Flower's `FedAdam`) Kingma & Ba's bias-corrected step size
 * η_t = η·√(1 − β₂^(t+1)) / (1 − β₁^(t+1)) at server round t. Defaults are Flower's: η = 0.1, η_l = 0.1,
 * β₁ = 0.9, β₂ = 0.99, τ = 1e-3.
 */
export class FedAdam extends FedOpt {
  override readonly name: string = "FedAdam";

  constructor(options: FedOptOptions = {}) {
    super(options, { eta: 1e-1, etaL: 1e-1, beta1: 0.9, beta2: 0.99, tau: 1e-3 });
  }

  protected override updateSecondMoment(v: Float64Array, delta: Float64Array): void {
    for (let i = 0; i < v.length; i++) v[i] = this.beta2 * v[i]! + (1 - this.beta2) * delta[i]! ** 2;
  }

  /** Flower's exponent is the server round plus one (round 1 corrects with β^2). */
  protected override stepSize(round: number): number {
    return (this.eta * Math.sqrt(1 - this.beta2 ** (round + 1))) / (1 - this.beta1 ** (round + 1));
  }
}
