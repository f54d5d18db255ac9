import { ValidationError } from "@flock/core";
import type { Utility } from "./utility.ts";
import { assertPlayers, type ContributionValues } from "./values.ts";

/** The largest game exactShapley takes: 2^20 coalitions. */
export const EXACT_SHAPLEY_MAX_PLAYERS = 20;
const EVALUATION_BATCH = 64;

/**
 * The exact Shapley value (Shapley 1953), the slow reference of the sampled methods:
 *   φᵢ = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! · (v(S ∪ {i}) − v(S))
 * from all 2^n coalitions. Throws FL_TOO_MANY_PLAYERS above EXACT_SHAPLEY_MAX_PLAYERS.
 */
export async function exactShapley(
  players: readonly string[],
  utility: Utility,
): Promise<ContributionValues> {
  assertPlayers(players, utility);
  const n = utility.players;
  if (n > EXACT_SHAPLEY_MAX_PLAYERS) {
    throw new ValidationError(
      "FL_TOO_MANY_PLAYERS",
      `exact Shapley values of ${n} players need 2^${n} evaluations`,
      { hint: `use gtgShapley above ${EXACT_SHAPLEY_MAX_PLAYERS} players` },
    );
  }
  const before = utility.evaluations;
  const size = 2 ** n;
  const v = new Float64Array(size);
  // Evaluated in batches of concurrent requests (an asynchronous evaluator may run them in parallel).
  for (let from = 0; from < size; from += EVALUATION_BATCH) {
    const masks = Array.from({ length: Math.min(EVALUATION_BATCH, size - from) }, (_, j) => from + j);
    const batch = await Promise.all(masks.map((mask) => utility.value(BigInt(mask))));
    batch.forEach((value, j) => {
      v[from + j] = value;
    });
  }
  // weight(s) = s!(n−s−1)!/n! = 1 / (n · C(n−1, s)), from a row of Pascal's triangle.
  const weight = new Float64Array(n);
  let binomial = 1;
  for (let s = 0; s < n; s++) {
    weight[s] = 1 / (n * binomial);
    binomial = (binomial * (n - 1 - s)) / (s + 1);
  }
  const values = new Array<number>(n).fill(0);
  for (let mask = 0; mask < size; mask++) {
    const s = popcount(mask);
    for (let i = 0; i < n; i++) {
      const bit = 1 << i;
      if (mask & bit) continue;
      values[i]! += weight[s]! * (v[mask | bit]! - v[mask]!);
    }
  }
  return {
    players,
    values,
    evaluations: utility.evaluations - before,
    grand: v[size - 1]!,
    empty: v[0]!,
  };
}

function popcount(x: number): number {
  let c = 0;
  for (let y = x; y !== 0; y &= y - 1) c++;
  return c;
}
