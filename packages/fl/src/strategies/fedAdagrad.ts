import { FedOpt, type FedOptOptions } from "./fedOpt.ts";

/** FedAdagrad's options: no moment decays (β₁ = β₂ = 0 in Flower). */
export type FedAdagradOptions = Omit<FedOptOptions, "beta1" | "beta2">;

/**
 * FedAdagrad — Reddi et al., "Adaptive Federated Optimization", ICLR 2021, Algorithm 2 with Adagrad's
 * accumulated second moment v ← v + Δ² and no momentum (β₁ = 0, so m = Δ), as Flower's `FedAdagrad`.
 * Defaults are Flower's: η = 0.1, η_l = 0.1, τ = 1e-3.
 */
export class FedAdagrad extends FedOpt {
  override readonly name: string = "FedAdagrad";

  constructor(options: FedAdagradOptions = {}) {
    super({ ...options, beta1: 0, beta2: 0 }, { eta: 1e-1, etaL: 1e-1, beta1: 0, beta2: 0, tau: 1e-3 });
  }

  protected override updateSecondMoment(v: Float64Array, delta: Float64Array): void {
    for (let i = 0; i < v.length; i++) v[i] = v[i]! + delta[i]! ** 2;
  }
}
