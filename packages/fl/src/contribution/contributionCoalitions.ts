import { ValidationError } from "@flock/core";
import { type Coalition, coalitionOf, grandCoalition } from "./coalition.ts";
import { type GtgShapleyOptions, gtgMaxPermutations, gtgPermutations } from "./gtgShapley.ts";

/** Up to this many players every non-empty coalition is evaluated (2⁶ − 1 = 63 models). */
export const EXHAUSTIVE_COALITION_PLAYERS = 6;

/** The most coalition models a network round may ask its voters to evaluate (reached at 10 proposers). */
export const MAX_CONTRIBUTION_COALITIONS = 1024;

/**
 * The most coalitions `contributionCoalitions(n)` can list under any seed with default options: 2ⁿ − 1 up to six
 * players, otherwise min(2ⁿ − 1, n · maxPermutations) (each permutation has n prefixes).
 */
export function contributionCoalitionBound(n: number): number {
  const all = 2 ** n - 1;
  return n <= EXHAUSTIVE_COALITION_PLAYERS ? all : Math.min(all, n * gtgMaxPermutations(n));
}

/**
 * The coalitions whose models must be evaluated before GTG-Shapley runs, fixed in advance from the seed (a
 * network round sends them to its voters before any evaluation comes back): every non-empty coalition when
 * n ≤ 6, otherwise every prefix of the permutations `gtgShapley` would walk under `seed` up to its
 * maxPermutations — a superset of what it evaluates, whatever its truncation and convergence decide. Sorted
 * ascending by bitmask; the grand coalition is always included, the empty one (the global model) never.
 */
export function contributionCoalitions(
  n: number,
  options: Pick<GtgShapleyOptions, "seed" | "minPermutations" | "maxPermutations"> = {},
): Coalition[] {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ValidationError("FL_PLAYERS_INVALID", `a game needs at least one player, got ${n}`, {
      hint: "pass the number of updates whose contributions you want to value",
    });
  }
  if (n <= EXHAUSTIVE_COALITION_PLAYERS) {
    return Array.from({ length: 2 ** n - 1 }, (_, i) => BigInt(i + 1));
  }
  const found = new Set<Coalition>([grandCoalition(n)]);
  for (const order of gtgPermutations(n, options)) {
    for (let k = 1; k <= order.length; k++) found.add(coalitionOf(order.slice(0, k)));
  }
  return [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
