import { ValidationError } from "@flock/core";
import { flatten, unflatten, weightedMeanOf } from "../arrays.ts";
import type { Reply } from "../messages.ts";
import { weightedMetrics } from "../metrics.ts";
import { pairwiseSquaredDistances } from "../robust/distances.ts";
import { selectMultiKrum } from "../robust/krumSelection.ts";
import type { TrainResult } from "../strategy.ts";
import { SampledStrategy, type SampledStrategyOptions } from "./sampledStrategy.ts";

export interface MultiKrumOptions extends SampledStrategyOptions {
  /** f, the number of Byzantine nodes assumed among a round's updates (default 0, Flower's). */
  readonly numMaliciousNodes?: number;
  /** m, how many updates of lowest score are averaged (default 1, Flower's: plain Krum). */
  readonly numNodesToSelect?: number;
}

/**
 * Multi-Krum — Blanchard, El Mhamdi, Guerraoui, Stainer, "Machine Learning with Adversaries: Byzantine
 * Tolerant Gradient Descent", NeurIPS 2017 (§4, Multi-Krum).
 *
 * Rule (Flower's `MultiKrum` and `select_multikrum`): with n valid updates, each update's score is the sum
 * of its squared L2 distances to its `max(1, n − f − 2)` nearest other updates; the `numNodesToSelect`
 * updates of lowest score are kept, in ascending score order, equal scores won by the earlier reply (a
 * stable sort — the only case where reply order matters; Flower's numpy `argsort` leaves such ties in an
 * unspecified order). The new model is their mean weighted by
 * numbers of examples (Flower's `aggregate_arrayrecords`, not a plain mean), and the training metrics are
 * the example-weighted mean over the kept updates only. Distances and means are accumulated in float64.
 * `selected` lists the kept nodes of the last round.
 */
export class MultiKrum extends SampledStrategy {
  readonly name: string = "MultiKrum";
  readonly numMaliciousNodes: number;
  readonly numNodesToSelect: number;
  /** The nodes whose updates the last round kept, best score first. */
  selected: string[] = [];

  constructor(options: MultiKrumOptions = {}) {
    super(options);
    this.numMaliciousNodes = wholeNumber(options.numMaliciousNodes ?? 0, "numMaliciousNodes", 0);
    this.numNodesToSelect = wholeNumber(options.numNodesToSelect ?? 1, "numNodesToSelect", 1);
  }

  aggregateTrain(_round: number, replies: readonly Reply[]): TrainResult {
    const valid = this.validReplies(replies);
    this.selected = [];
    if (valid.length === 0) return {};
    const vectors = valid.map((r) => flatten(r.update.arrays));
    const distances = pairwiseSquaredDistances(vectors);
    const chosen = selectMultiKrum(distances, valid.length, this.numMaliciousNodes, this.numNodesToSelect);
    const kept = chosen.map((i) => valid[i]!);
    this.selected = kept.map((r) => r.nodeId);
    const mean = weightedMeanOf(
      chosen.map((i) => vectors[i]!),
      kept.map((r) => r.update.numExamples),
    );
    return {
      arrays: unflatten(this.requireLayout(), mean),
      metrics: weightedMetrics(kept.map((r) => r.update)),
    };
  }
}

/** Throws FL_OPTION_INVALID unless `value` is a whole number ≥ `min`. */
export function wholeNumber(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be a whole number ≥ ${min}, got ${value}`);
  }
  return value;
}
