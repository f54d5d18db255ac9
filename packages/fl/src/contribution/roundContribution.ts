import { ValidationError } from "@flock/core";
import type { Arrays } from "../arrays.ts";
import type { NodeId, Update } from "../messages.ts";
import { exactShapley } from "./exactShapley.ts";
import { type EvaluateArrays, fedAvgUtility } from "./fedAvgUtility.ts";
import { type GtgShapleyOptions, gtgShapley } from "./gtgShapley.ts";
import { leaveOneOut } from "./leaveOneOut.ts";
import type { ContributionValues } from "./values.ts";

/** How a round's contributions are valued: by command-line name. */
export const CONTRIBUTION_METHODS = ["gtg-shapley", "leave-one-out", "exact-shapley"] as const;
/** One of CONTRIBUTION_METHODS. */
export type ContributionMethod = (typeof CONTRIBUTION_METHODS)[number];

/** One round to value: its start, its updates by node, the server's metric and the method. */
export interface RoundContributionOptions {
  /** The global arrays the round started from. */
  readonly start: Arrays;
  /** The round's updates by node (e.g. `updatesOf(replies)`). */
  readonly updates: readonly { readonly nodeId: NodeId; readonly update: Update }[];
  /** The server's metric of a candidate model, higher is better (accuracy, −loss, …). */
  readonly evaluate: EvaluateArrays;
  /** Default "gtg-shapley". */
  readonly method?: ContributionMethod;
  /** Options of GTG-Shapley (the round's seed among them). */
  readonly gtg?: GtgShapleyOptions;
}

/**
 * The contribution of each node's update to one round: its value in the game v(S) = metric of the FedAvg
 * aggregate of S (see fedAvgUtility), by GTG-Shapley, leave-one-out or the exact Shapley value. Values are
 * in the metric's units; summed over rounds they are what payouts split (flPayShares in @flock/protocol).
 */
export async function roundContribution(options: RoundContributionOptions): Promise<ContributionValues> {
  const players = options.updates.map((u) => u.nodeId);
  if (players.length === 0) {
    return { players, values: [], evaluations: 0, grand: Number.NaN, empty: Number.NaN };
  }
  const utility = fedAvgUtility({
    start: options.start,
    updates: options.updates.map((u) => u.update),
    evaluate: options.evaluate,
  });
  const method = options.method ?? "gtg-shapley";
  switch (method) {
    case "gtg-shapley":
      return gtgShapley(players, utility, options.gtg);
    case "leave-one-out":
      return leaveOneOut(players, utility);
    case "exact-shapley":
      return exactShapley(players, utility);
    default:
      method satisfies never;
      throw new ValidationError(
        "FL_CONTRIBUTION_METHOD_UNKNOWN",
        `no contribution method ${String(method)}`,
        {
          hint: `use one of ${CONTRIBUTION_METHODS.join(", ")}`,
        },
      );
  }
}

/** Adds one round's values to running totals per node (a node absent from a round adds nothing). */
export function addContributions(
  totals: Map<NodeId, number>,
  round: ContributionValues,
): Map<NodeId, number> {
  round.players.forEach((id, i) => {
    totals.set(id, (totals.get(id) ?? 0) + round.values[i]!);
  });
  return totals;
}
