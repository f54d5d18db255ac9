import { ValidationError } from "@flock/core";
import { flatten, unflatten } from "../arrays.ts";
import type { Metrics } from "../messages.ts";
import type { TrainResult } from "../strategy.ts";
import { FedAvg, type FedAvgOptions } from "./fedAvg.ts";
import { checkState, type StatefulStrategy, type StrategyState } from "./strategyState.ts";

/** The server optimizer's hyperparameters (Reddi et al. 2021, Algorithm 2), by Flower's names. */
export interface FedOptOptions extends FedAvgOptions {
  /** Server learning rate η. */
  readonly eta?: number;
  /**
   * Client learning rate η_l: recorded for the run's description, not sent (as in Flower); the nodes'
   * training config carries their learning rate.
   */
  readonly etaL?: number;
  /** First-moment (momentum) decay β₁. */
  readonly beta1?: number;
  /** Second-moment decay β₂. */
  readonly beta2?: number;
  /** Adaptivity τ: added to √v in the denominator. */
  readonly tau?: number;
}

/** Every hyperparameter of a server optimizer, defaults filled in. */
export type FedOptDefaults = Required<Pick<FedOptOptions, "eta" | "etaL" | "beta1" | "beta2" | "tau">>;

/**
 * FedOpt — Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
 * Optimization", ICLR 2021, Algorithm 2: the server treats Δ = mean − x as a pseudo-gradient step and applies
 * an adaptive optimizer to it. Shared by FedAdagrad, FedAdam and FedYogi, which differ in the second moment
 * v (and FedAdam in its step size), as in Flower's `FedOpt`:
 *
 *   m ← β₁·m + (1 − β₁)·Δ;   v ← update(v, Δ²);   x ← x + η_t · m / (√v + τ)
 *
 * m and v start at zero on the first aggregated round and persist across rounds; x is the arrays the
 * round was configured with.
 */
export abstract class FedOpt extends FedAvg implements StatefulStrategy {
  readonly eta: number;
  readonly etaL: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly tau: number;
  /** First moment m (undefined before the first aggregated round). */
  protected m: Float64Array | undefined;
  /** Second moment v (undefined before the first aggregated round). */
  protected v: Float64Array | undefined;

  constructor(options: FedOptOptions, defaults: FedOptDefaults) {
    super(options);
    this.eta = positive(options.eta ?? defaults.eta, "eta");
    this.etaL = positive(options.etaL ?? defaults.etaL, "etaL");
    this.beta1 = decay(options.beta1 ?? defaults.beta1, "beta1");
    this.beta2 = decay(options.beta2 ?? defaults.beta2, "beta2");
    this.tau = positive(options.tau ?? defaults.tau, "tau");
  }

  /** m and v (copies; none before the first aggregated round). */
  exportState(): StrategyState {
    return {
      strategy: this.name,
      vectors: this.m && this.v ? { m: Float64Array.from(this.m), v: Float64Array.from(this.v) } : {},
    };
  }

  /** Continue from an exported m and v (an empty state starts over from zero moments). */
  importState(state: StrategyState): void {
    const full = checkState(state, this.name, ["m", "v"]);
    this.m = full ? Float64Array.from(state.vectors.m!) : undefined;
    this.v = full ? Float64Array.from(state.vectors.v!) : undefined;
  }

  /** v ← update(v, Δ) in place (`v` starts at zero). */
  protected abstract updateSecondMoment(v: Float64Array, delta: Float64Array): void;

  /** The step size η_t of round t (η; FedAdam corrects it for the moments' bias). */
  protected stepSize(_round: number): number {
    return this.eta;
  }

  override aggregateMean(
    round: number,
    mean: Float64Array,
    _totalWeight: number,
    metrics: Metrics,
  ): TrainResult {
    const layout = this.requireLayout();
    if (!this.current) {
      throw new ValidationError("FL_NOT_CONFIGURED", `${this.name} aggregated before it configured a round`, {
        hint: "call configureTrain first",
      });
    }
    const x = flatten(this.current);
    if (
      x.length !== mean.length ||
      (this.m && this.m.length !== mean.length) ||
      (this.v && this.v.length !== mean.length)
    ) {
      throw new ValidationError(
        "FL_ARRAYS_MISMATCH",
        `${this.name}: a mean of ${mean.length} values for a model of ${x.length}` +
          (this.m ? ` and optimizer state of ${this.m.length}` : ""),
        { hint: "keep the model's layout the same for the whole run (or build a new strategy)" },
      );
    }
    const delta = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) delta[i] = mean[i]! - x[i]!;
    this.m ??= new Float64Array(x.length);
    this.v ??= new Float64Array(x.length);
    const m = this.m;
    for (let i = 0; i < m.length; i++) m[i] = this.beta1 * m[i]! + (1 - this.beta1) * delta[i]!;
    this.updateSecondMoment(this.v, delta);
    const v = this.v;
    const eta = this.stepSize(round);
    const next = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) next[i] = x[i]! + (eta * m[i]!) / (Math.sqrt(v[i]!) + this.tau);
    return { arrays: unflatten(layout, next), metrics };
  }
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be a finite number > 0, got ${value}`, {
      hint: "leave it out for the published default",
    });
  }
  return value;
}

function decay(value: number, name: string): number {
  if (!(value >= 0 && value < 1)) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be in [0, 1), got ${value}`, {
      hint: "leave it out for the published default",
    });
  }
  return value;
}
