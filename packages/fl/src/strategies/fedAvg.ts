import { flatten, unflatten, weightedMeanOf } from "../arrays.ts";
import type { Metrics, Reply } from "../messages.ts";
import { weightedMetrics } from "../metrics.ts";
import type { LinearStrategy, TrainResult } from "../strategy.ts";
import { SampledStrategy, type SampledStrategyOptions } from "./sampledStrategy.ts";

/** FedAvg's options: node sampling only. */
export interface FedAvgOptions extends SampledStrategyOptions {}

/**
 * FedAvg — McMahan, Moore, Ramage, Hampson, Agüera y Arcas, "Communication-Efficient Learning of Deep
 * Networks from Decentralized Data", AISTATS 2017: the new model is the mean of the nodes' models weighted
 * by their numbers of examples. The base of the linear strategies (as in Flower); node sampling, message
 * building, failure handling and metric aggregation live in `SampledStrategy`.
 */
export class FedAvg extends SampledStrategy implements LinearStrategy {
  readonly name: string = "FedAvg";
  readonly linear = true as const;

  constructor(options: FedAvgOptions = {}) {
    super(options);
  }

  aggregateTrain(round: number, replies: readonly Reply[]): TrainResult {
    const updates = this.validUpdates(replies);
    if (updates.length === 0) return {};
    const mean = weightedMeanOf(
      updates.map((u) => flatten(u.arrays)),
      updates.map((u) => this.weightOf(u)),
    );
    const total = updates.reduce((a, u) => a + this.weightOf(u), 0);
    return this.aggregateMean(round, mean, total, weightedMetrics(updates));
  }

  weightOf(update: { numExamples: number }): number {
    return update.numExamples;
  }

  aggregateMean(_round: number, mean: Float64Array, _totalWeight: number, metrics: Metrics): TrainResult {
    return { arrays: unflatten(this.requireLayout(), mean), metrics };
  }
}
