import { ValidationError } from "@flock/core";
import { type Arrays, assertLayout, flatten, layoutOf, unflatten, weightedMeanOf } from "../arrays.ts";
import type { Update } from "../messages.ts";
import { memoizedUtility, type Utility } from "./utility.ts";

/** What a candidate model is worth: higher is better (accuracy, −loss, …) on the evaluator's own data. */
export type EvaluateArrays = (arrays: Arrays) => Promise<number> | number;

/** A round as a game: where it started, its updates and how the server scores a model. */
export interface FedAvgUtilityOptions {
  /** The global arrays the round started from: the model of the empty coalition, v(∅) = evaluate(start). */
  readonly start: Arrays;
  /** The round's updates; update i is player i. */
  readonly updates: readonly Update[];
  readonly evaluate: EvaluateArrays;
  /** An update's weight in the aggregate (default: its number of examples, as FedAvg weighs it). */
  readonly weightOf?: (update: Update) => number;
}

/**
 * The utility of a round's updates as a cooperative game (Liu et al. 2022, GTG-Shapley §3; Wang et al.
 * 2020 "A Principled Approach to Data Valuation for Federated Learning"): v(S) is the metric of the FedAvg
 * aggregate of the updates in S — the sample-weighted mean of their arrays — and v(∅) the metric of the
 * round's starting arrays. Memoized by coalition; the updates are flattened once.
 */
export function fedAvgUtility(options: FedAvgUtilityOptions): Utility {
  const modelOf = fedAvgCoalitionModel(options);
  return memoizedUtility(options.updates.length, (members) => options.evaluate(modelOf(members)));
}

/**
 * The model of a coalition: the FedAvg aggregate (sample-weighted mean) of its members' updates, or the round's
 * starting arrays for the empty coalition. The updates are checked against the start's layout and flattened once.
 */
export function fedAvgCoalitionModel(
  options: Pick<FedAvgUtilityOptions, "start" | "updates" | "weightOf">,
): (members: readonly number[]) => Arrays {
  const layout = layoutOf(options.start);
  options.updates.forEach((u, i) => {
    assertLayout(layout, u.arrays, `update ${i}`);
  });
  const vectors = options.updates.map((u) => flatten(u.arrays));
  const weightOf = options.weightOf ?? ((u: Update) => u.numExamples);
  const weights = options.updates.map((u, i) => {
    const w = weightOf(u);
    if (!(w > 0) || !Number.isFinite(w)) {
      throw new ValidationError("FL_UPDATE_INVALID", `update ${i} has weight ${w} in the aggregate`, {
        hint: "value only the updates the strategy accepted (each with numExamples > 0)",
      });
    }
    return w;
  });
  return (members) => {
    if (members.length === 0) return options.start;
    const mean = weightedMeanOf(
      members.map((i) => vectors[i]!),
      members.map((i) => weights[i]!),
    );
    return unflatten(layout, mean);
  };
}
