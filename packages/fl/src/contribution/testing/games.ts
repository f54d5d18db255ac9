import { memoizedUtility, type Utility } from "../utility.ts";

/**
 * Small cooperative games whose Shapley values are known by hand, for the contribution tests.
 */

/** The glove game: v(S) = min(left gloves in S, right gloves in S); `hands[i]` is player i's glove. */
export function gloveGame(hands: readonly ("L" | "R")[]): Utility {
  return memoizedUtility(hands.length, (members) => {
    const left = members.filter((i) => hands[i] === "L").length;
    return Math.min(left, members.length - left);
  });
}

/** An additive game: v(S) = base + Σ_{i∈S} own[i]. */
export function additiveGame(own: readonly number[], base = 0): Utility {
  return memoizedUtility(own.length, (members) => members.reduce((a, i) => a + own[i]!, base));
}

/** A weighted majority game [quota; weights]: v(S) = 1 when Σ_{i∈S} weight[i] ≥ quota, else 0. */
export function majorityGame(quota: number, weights: readonly number[]): Utility {
  return memoizedUtility(weights.length, (members) =>
    members.reduce((a, i) => a + weights[i]!, 0) >= quota ? 1 : 0,
  );
}

/** A game from any function of the members' indices. */
export function game(players: number, v: (members: readonly number[]) => number): Utility {
  return memoizedUtility(players, v);
}

/** Player ids p0, p1, … for a game of n players. */
export const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `p${i}`);
