import { allFinite, unflatten, weightedMeanOf } from "../arrays.ts";
import type { Metrics, Reply, Update } from "../messages.ts";
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
    // Fast path: check layouts and weights, average, and scan only the mean for NaN or infinities — with
    // every weight > 0 and float32 inputs, a non-finite value anywhere makes its coordinate of the mean
    // non-finite, and finite inputs cannot overflow it. Only then are the updates scanned one by one, to
    // leave the bad ones out exactly as `validUpdates` does.
    let updates = this.validReplies(replies, false).map((r) => r.update);
    if (updates.length === 0) return {};
    let mean = this.meanOf(updates);
    if (!allFinite(mean)) {
      updates = this.validUpdates(replies);
      if (updates.length === 0) return {};
      mean = this.meanOf(updates);
    }
    const total = updates.reduce((a, u) => a + this.weightOf(u), 0);
    return this.aggregateMean(round, mean, total, weightedMetrics(updates));
  }

  /**
   * The weighted mean of the flattened models, array by array into its slice of one vector: the same values
   * as weightedMeanOf over flatten(u.arrays), without copying every update first.
   */
  private meanOf(updates: readonly Update[]): Float64Array {
    const weights = updates.map((u) => this.weightOf(u));
    const layout = this.requireLayout();
    const mean = this.meanBuffer(layout.size);
    const columns = updates.map((u) => [...u.arrays.values()]);
    layout.names.forEach((_, j) => {
      const start = layout.offsets[j]!;
      const slice = mean.subarray(start, start + layout.shapes[j]!.reduce((a, b) => a * b, 1));
      weightedMeanOf(
        columns.map((c) => c[j]!.data),
        weights,
        slice,
      );
    });
    return mean;
  }

  /**
   * Where the mean is accumulated. FedAvg's own `aggregateMean` copies the mean into new arrays and keeps
   * nothing, so one buffer serves every round (fresh memory costs a page fault per 4 KiB on first touch,
   * as much as the averaging itself for large models); a subclass with its own `aggregateMean` may keep
   * the mean, so it gets a new one each round.
   */
  private meanBuffer(size: number): Float64Array {
    if (this.aggregateMean !== FedAvg.prototype.aggregateMean) return new Float64Array(size);
    if (this.scratch?.length !== size) this.scratch = new Float64Array(size);
    return this.scratch;
  }

  private scratch: Float64Array | undefined;

  weightOf(update: { numExamples: number }): number {
    return update.numExamples;
  }

  aggregateMean(_round: number, mean: Float64Array, _totalWeight: number, metrics: Metrics): TrainResult {
    return { arrays: unflatten(this.requireLayout(), mean), metrics };
  }
}
