import { sortPrefix } from "./sortValues.ts";

/** Krum's neighbour count among `n` candidates with `f` assumed Byzantine: Flower's `max(1, n − f − 2)`. */
export function krumNeighbours(n: number, f: number): number {
  return Math.max(1, n - f - 2);
}

/**
 * Krum scores (Blanchard et al. 2017, §4): for each member i, the sum of its squared distances to its
 * `max(1, m − f − 2)` nearest other members, m = members.length. `distances` is the n×n matrix of
 * `pairwiseSquaredDistances`. Flower sorts a whole row (self included) and sums positions 1…k; the row's
 * smallest entry is a 0 (self, or an identical update), so that is the same sum as the k nearest others.
 * A single member scores 0.
 */
export function krumScores(
  distances: Float64Array,
  n: number,
  members: readonly number[],
  f: number,
): Float64Array {
  const m = members.length;
  const k = Math.min(krumNeighbours(m, f), m - 1);
  const row = new Float64Array(Math.max(m - 1, 0));
  const scores = new Float64Array(m);
  for (let a = 0; a < m; a++) {
    const i = members[a]!;
    let c = 0;
    for (let b = 0; b < m; b++) if (b !== a) row[c++] = distances[i * n + members[b]!]!;
    sortPrefix(row, c);
    let sum = 0;
    for (let t = 0; t < k; t++) sum += row[t]!;
    scores[a] = sum;
  }
  return scores;
}

/**
 * Multi-Krum's selection (Flower's `select_multikrum`): the `count` candidates of lowest Krum score over all
 * `n`, in ascending score order; equal scores are won by the lower index (a stable sort). Flower takes
 * numpy's default `argsort`, whose order among equal scores numpy does not specify (its AVX-512 sort is not
 * stable), so on an exact tie at the cut Flower's pick is platform-dependent and may differ from this one.
 */
export function selectMultiKrum(distances: Float64Array, n: number, f: number, count: number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  const scores = krumScores(distances, n, all, f);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => scores[a]! - scores[b]! || a - b);
  return order.slice(0, Math.min(count, n));
}

/**
 * Bulyan's selection as El Mhamdi et al. 2018 (Algorithm 1) and Flower's legacy `aggregate_bulyan` define
 * it: apply Krum `count` times, each time to the candidates not yet chosen (so the neighbour count shrinks
 * with them), removing the winner. Equal scores are won by the lower index (Flower: `np.argmin`).
 */
export function selectRecursiveKrum(distances: Float64Array, n: number, f: number, count: number): number[] {
  const remaining = Array.from({ length: n }, (_, i) => i);
  const chosen: number[] = [];
  while (chosen.length < count && remaining.length > 0) {
    const scores = krumScores(distances, n, remaining, f);
    let best = 0;
    for (let a = 1; a < scores.length; a++) if (scores[a]! < scores[best]!) best = a;
    chosen.push(remaining[best]!);
    remaining.splice(best, 1);
  }
  return chosen;
}
