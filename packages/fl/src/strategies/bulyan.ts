import { ValidationError } from "@flock/core";
import { flatten, unflatten } from "../arrays.ts";
import type { Reply } from "../messages.ts";
import { weightedMetrics } from "../metrics.ts";
import { closestToReferenceMean, coordinateMedian } from "../robust/coordinateWise.ts";
import { pairwiseSquaredDistances } from "../robust/distances.ts";
import { selectMultiKrum, selectRecursiveKrum } from "../robust/krumSelection.ts";
import type { TrainResult } from "../strategy.ts";
import { wholeNumber } from "./multiKrum.ts";
import { SampledStrategy, type SampledStrategyOptions } from "./sampledStrategy.ts";

export interface BulyanOptions extends SampledStrategyOptions {
  /** f, the number of Byzantine nodes assumed among a round's updates (default 0, Flower's). */
  readonly numMaliciousNodes?: number;
  /**
   * How the θ updates are chosen: "multi-krum" (default; Flower's `Bulyan` strategy: the θ lowest Krum
   * scores over all n, one pass) or "recursive-krum" (the paper's Algorithm 1 and Flower's legacy
   * `aggregate_bulyan`: Krum applied θ times, each winner removed before the next pass).
   */
  readonly selection?: "multi-krum" | "recursive-krum";
}

/**
 * Bulyan — El Mhamdi, Guerraoui, Rouault, "The Hidden Vulnerability of Distributed Learning in Byzantium",
 * ICML 2018 (Algorithm 1).
 *
 * Rule (Flower's `Bulyan.aggregate_train`): with n valid updates and f assumed Byzantine, a round needs
 * n ≥ 4f + 3; with fewer it is skipped — no new model, the reason in `skipped` (Flower logs a warning and
 * returns nothing). θ = n − 2f updates are selected by Krum scores (see `selection`), in selection order;
 * β = θ − 2f. Per coordinate, the median of the θ selected values is the reference (the mean of the two
 * middle ones when θ is even) and the new value is the plain mean of the β selected values closest to it
 * (ties won by the update selected first, where Flower leaves them to numpy's unspecified order). The
 * training metrics are the example-weighted mean over the θ selected updates. Independent of reply order
 * except where Krum scores or gaps tie. Checked against Flower's own code in robust/flowerReference.test.ts.
 */
export class Bulyan extends SampledStrategy {
  readonly name: string = "Bulyan";
  readonly numMaliciousNodes: number;
  readonly selection: "multi-krum" | "recursive-krum";
  /** The nodes selected in the last round, in selection order. */
  selected: string[] = [];
  /** Why the last round made no new model (too few valid updates), or undefined. */
  skipped: string | undefined;

  constructor(options: BulyanOptions = {}) {
    super(options);
    this.numMaliciousNodes = wholeNumber(options.numMaliciousNodes ?? 0, "numMaliciousNodes", 0);
    const selection = options.selection ?? "multi-krum";
    if (selection !== "multi-krum" && selection !== "recursive-krum") {
      throw new ValidationError(
        "FL_OPTION_INVALID",
        `Bulyan selection must be multi-krum or recursive-krum, got ${selection}`,
        {
          hint: "leave it out for Flower's (multi-krum)",
        },
      );
    }
    this.selection = selection;
  }

  aggregateTrain(_round: number, replies: readonly Reply[]): TrainResult {
    const valid = this.validReplies(replies);
    const f = this.numMaliciousNodes;
    const n = valid.length;
    this.selected = [];
    this.skipped = undefined;
    if (n < 4 * f + 3) {
      this.skipped = `Bulyan needs at least 4f + 3 = ${4 * f + 3} valid updates and got ${n}`;
      return {};
    }
    const theta = n - 2 * f;
    const beta = theta - 2 * f;
    const vectors = valid.map((r) => flatten(r.update.arrays));
    const distances = pairwiseSquaredDistances(vectors);
    const chosen =
      this.selection === "recursive-krum"
        ? selectRecursiveKrum(distances, n, f, theta)
        : selectMultiKrum(distances, n, f, theta);
    const picked = chosen.map((i) => vectors[i]!);
    this.selected = chosen.map((i) => valid[i]!.nodeId);
    const reference = coordinateMedian(picked);
    const aggregate = closestToReferenceMean(picked, reference, beta);
    return {
      arrays: unflatten(this.requireLayout(), aggregate),
      metrics: weightedMetrics(chosen.map((i) => valid[i]!.update)),
    };
  }
}
