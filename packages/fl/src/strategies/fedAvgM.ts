import { ValidationError } from "@flock/core";
import { type Arrays, flatten, unflatten } from "../arrays.ts";
import type { Grid } from "../grid.ts";
import type { Config, Message, Metrics } from "../messages.ts";
import type { TrainResult } from "../strategy.ts";
import { FedAvg, type FedAvgOptions } from "./fedAvg.ts";
import { checkState, type StatefulStrategy, type StrategyState } from "./strategyState.ts";

export interface FedAvgMOptions extends FedAvgOptions {
  /** Server learning rate η (default 1, Flower's `server_learning_rate`). */
  readonly serverLearningRate?: number;
  /** Server momentum β (default 0, Flower's `server_momentum`). */
  readonly serverMomentum?: number;
}

/**
 * FedAvgM — Hsu, Qi, Brown, "Measuring the Effects of Non-Identical Data Distribution for Federated Visual
 * Classification", 2019 (arXiv:1909.06335): server SGD with heavy-ball momentum on the pseudo-gradient
 * g = x − mean (PyTorch's SGD convention, as in Flower's `FedAvgM`):
 *
 *   v ← g on the first round, then v ← β·v + g;   x ← x − η·v   (η·g when β = 0)
 *
 * With the defaults (η = 1, β = 0) the server optimizer is off and this is FedAvg. As in Flower, x is the
 * strategy's own copy of the global model: the arrays of the first round, then each aggregate it returns.
 */
export class FedAvgM extends FedAvg implements StatefulStrategy {
  override readonly name: string = "FedAvgM";
  readonly serverLearningRate: number;
  readonly serverMomentum: number;
  /** Whether the server optimizer runs at all (η ≠ 1 or β ≠ 0, as Flower's `server_opt`). */
  readonly serverOpt: boolean;
  /** The global model x the pseudo-gradient is taken against. */
  private model: Float64Array | undefined;
  /** The momentum buffer v (absent until the first round with β > 0). */
  private momentum: Float64Array | undefined;

  constructor(options: FedAvgMOptions = {}) {
    super(options);
    this.serverLearningRate = options.serverLearningRate ?? 1;
    this.serverMomentum = options.serverMomentum ?? 0;
    if (!(Number.isFinite(this.serverLearningRate) && this.serverLearningRate > 0)) {
      throw new ValidationError(
        "FL_OPTION_INVALID",
        `serverLearningRate must be a finite number > 0, got ${this.serverLearningRate}`,
        { hint: "use 1 (the default) for plain averaging" },
      );
    }
    if (!(this.serverMomentum >= 0 && this.serverMomentum < 1)) {
      throw new ValidationError(
        "FL_OPTION_INVALID",
        `serverMomentum must be in [0, 1), got ${this.serverMomentum}`,
        {
          hint: "use 0 (the default) for no momentum, or e.g. 0.9",
        },
      );
    }
    this.serverOpt = this.serverMomentum !== 0 || this.serverLearningRate !== 1;
  }

  /**
   * The model x and the momentum buffer (copies). x is kept only once the server optimizer has stepped (before
   * that it is the next round's arrays); the momentum only with β > 0.
   */
  exportState(): StrategyState {
    const vectors: Record<string, Float64Array> = {};
    if (this.serverOpt && this.stepped && this.model) {
      vectors.model = Float64Array.from(this.model);
      if (this.momentum) vectors.momentum = Float64Array.from(this.momentum);
    }
    return { strategy: this.name, vectors };
  }

  /** Continue from an exported state (an empty one starts from the next round's arrays, no momentum). */
  importState(state: StrategyState): void {
    const names = "momentum" in state.vectors ? ["model", "momentum"] : ["model"];
    const full = checkState(state, this.name, names);
    this.model = full ? Float64Array.from(state.vectors.model!) : undefined;
    this.momentum = full && state.vectors.momentum ? Float64Array.from(state.vectors.momentum) : undefined;
    this.stepped = full;
  }

  /** Whether the server optimizer has stepped (x is then its own, not the arrays it was first sent). */
  private stepped = false;

  override async configureTrain(
    round: number,
    arrays: Arrays,
    config: Config,
    grid: Grid,
  ): Promise<Message[]> {
    this.model ??= Float64Array.from(flatten(arrays));
    return super.configureTrain(round, arrays, config, grid);
  }

  override aggregateMean(
    round: number,
    mean: Float64Array,
    totalWeight: number,
    metrics: Metrics,
  ): TrainResult {
    if (!this.serverOpt) return super.aggregateMean(round, mean, totalWeight, metrics);
    const x = this.model;
    if (!x || x.length !== mean.length) {
      throw new ValidationError(
        "FL_NOT_CONFIGURED",
        x
          ? `FedAvgM holds a model of ${x.length} values and received a mean of ${mean.length}`
          : "FedAvgM aggregated before it configured a round",
        { hint: "call configureTrain with the model's arrays before aggregating" },
      );
    }
    // Pseudo-gradient g = x − mean (an update is the opposite of a gradient).
    const g = new Float64Array(x.length);
    for (let i = 0; i < g.length; i++) g[i] = x[i]! - mean[i]!;
    let direction: Float64Array = g;
    if (this.serverMomentum > 0) {
      // v ← g on the first round, then v ← β·v + g (no Nesterov, as Flower).
      const v = this.momentum;
      if (v) for (let i = 0; i < g.length; i++) v[i] = this.serverMomentum * v[i]! + g[i]!;
      this.momentum = v ?? g;
      direction = this.momentum;
    }
    const arrays = unflatten(
      this.requireLayout(),
      x.map((xi, i) => xi - this.serverLearningRate * direction[i]!),
    );
    // Keep x as the float32 arrays the round returns, as Flower keeps the returned ArrayRecord.
    this.model = Float64Array.from(flatten(arrays));
    this.stepped = true;
    return { arrays, metrics };
  }
}
