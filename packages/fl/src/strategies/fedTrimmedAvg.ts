import { ValidationError } from "@flock/core";
import { flatten, unflatten } from "../arrays.ts";
import type { Reply } from "../messages.ts";
import { weightedMetrics } from "../metrics.ts";
import { coordinateTrimmedMean } from "../robust/coordinateWise.ts";
import type { TrainResult } from "../strategy.ts";
import { SampledStrategy, type SampledStrategyOptions } from "./sampledStrategy.ts";

export interface FedTrimmedAvgOptions extends SampledStrategyOptions {
  /** Fraction cut from each tail of every coordinate, in [0, 0.5] (default 0.2, Flower's). */
  readonly beta?: number;
}

/**
 * FedTrimmedAvg — the coordinate-wise trimmed mean of Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust
 * Distributed Learning: Towards Optimal Statistical Rates", ICML 2018 (Definition 2).
 *
 * Rule (Flower's `FedTrimmedAvg` and its `trim_mean`, after scipy's): with n valid updates, `int(beta · n)`
 * values — the product floored, so β = 0.2 trims nothing below 5 updates — are dropped from each end of
 * every coordinate and the rest averaged, unweighted. A cut that leaves nothing (β = 0.5 with an even n)
 * throws FL_TRIM_TOO_LARGE (Flower raises past the middle and returns NaN at it). Training metrics are the
 * example-weighted mean over all valid updates. Independent of reply order.
 */
export class FedTrimmedAvg extends SampledStrategy {
  readonly name: string = "FedTrimmedAvg";
  readonly beta: number;

  constructor(options: FedTrimmedAvgOptions = {}) {
    super(options);
    const beta = options.beta ?? 0.2;
    if (!(beta >= 0 && beta <= 0.5)) {
      throw new ValidationError("FL_OPTION_INVALID", `beta must be in [0, 0.5], got ${beta}`, {
        hint: "beta is the fraction trimmed from each end, e.g. 0.2",
      });
    }
    this.beta = beta;
  }

  aggregateTrain(_round: number, replies: readonly Reply[]): TrainResult {
    const updates = this.validUpdates(replies);
    if (updates.length === 0) return {};
    const mean = coordinateTrimmedMean(
      updates.map((u) => flatten(u.arrays)),
      this.beta,
    );
    return { arrays: unflatten(this.requireLayout(), mean), metrics: weightedMetrics(updates) };
  }
}
