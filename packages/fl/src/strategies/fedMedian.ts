import { flatten, unflatten } from "../arrays.ts";
import type { Reply } from "../messages.ts";
import { weightedMetrics } from "../metrics.ts";
import { coordinateMedian } from "../robust/coordinateWise.ts";
import type { TrainResult } from "../strategy.ts";
import { SampledStrategy, type SampledStrategyOptions } from "./sampledStrategy.ts";

/** FedMedian's options: node sampling only. */
export interface FedMedianOptions extends SampledStrategyOptions {}

/**
 * FedMedian — the coordinate-wise median of Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust
 * Distributed Learning: Towards Optimal Statistical Rates", ICML 2018 (Definition 1).
 *
 * Rule (Flower's `FedMedian.aggregate_train`): every coordinate of the new model is the median of that
 * coordinate over all valid updates — `np.median(axis=0)`: the middle value, or the mean of the two middle
 * values when their number is even. The median is unweighted (numbers of examples play no part); the
 * training metrics are the example-weighted mean over all valid updates. Independent of reply order.
 */
export class FedMedian extends SampledStrategy {
  readonly name: string = "FedMedian";

  constructor(options: FedMedianOptions = {}) {
    super(options);
  }

  aggregateTrain(_round: number, replies: readonly Reply[]): TrainResult {
    const updates = this.validUpdates(replies);
    if (updates.length === 0) return {};
    const median = coordinateMedian(updates.map((u) => flatten(u.arrays)));
    return { arrays: unflatten(this.requireLayout(), median), metrics: weightedMetrics(updates) };
  }
}
