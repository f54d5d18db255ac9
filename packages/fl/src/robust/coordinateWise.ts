import { ValidationError } from "@flock/core";
import { MAX_RANKED, positionOfKey, rankKey, selectRank, sortPrefix } from "./sortValues.ts";

/** Up to this many values are fully sorted (insertion sort); above, quickselect finds the ranks needed. */
const SORT_LIMIT = 32;

function assertSameLength(vectors: readonly ArrayLike<number>[]): number {
  if (vectors.length === 0) throw new ValidationError("FL_NO_UPDATES", "no updates to aggregate");
  const d = vectors[0]!.length;
  for (const v of vectors) {
    if (v.length !== d) {
      throw new ValidationError("FL_ARRAYS_MISMATCH", `vectors of ${v.length} and ${d} values`, {
        hint: "every update must have the model's layout",
      });
    }
  }
  return d;
}

/**
 * The coordinate-wise median of n vectors (numpy's `np.median(axis=0)`: the middle value, or the mean of
 * the two middle values when n is even), unweighted. One n-value float64 scratch per call; per coordinate a
 * quickselect of the middle rank (the median is one value, whatever the order the vectors came in).
 */
export function coordinateMedian(vectors: readonly ArrayLike<number>[]): Float64Array {
  const d = assertSameLength(vectors);
  const n = vectors.length;
  const out = new Float64Array(d);
  const scratch = new Float64Array(n);
  const half = n >> 1;
  for (let k = 0; k < d; k++) {
    for (let i = 0; i < n; i++) scratch[i] = vectors[i]![k]!;
    selectRank(scratch, half, 0, n - 1);
    if (n % 2 === 1) {
      out[k] = scratch[half]!;
    } else {
      let below = scratch[0]!;
      for (let i = 1; i < half; i++) if (scratch[i]! > below) below = scratch[i]!;
      out[k] = (below + scratch[half]!) / 2;
    }
  }
  return out;
}

/**
 * How many values the trimmed mean cuts from each end: Flower's (and scipy's `trim_mean`)
 * `int(beta · n)`, the product floored. Throws FL_TRIM_TOO_LARGE when nothing would be left (Flower raises
 * when the cut passes the middle and returns NaN when it meets it; both are refused here).
 */
export function trimCount(n: number, beta: number): number {
  const cut = Math.floor(beta * n);
  if (cut >= n - cut) {
    throw new ValidationError(
      "FL_TRIM_TOO_LARGE",
      `trimming ${cut} of ${n} updates from each end (beta ${beta}) leaves none to average`,
      { hint: "lower beta below 0.5 or sample more nodes per round" },
    );
  }
  return cut;
}

/**
 * The coordinate-wise trimmed mean (Yin et al. 2018, Definition 2; Flower's `trim_mean`): per coordinate,
 * the `trimCount(n, beta)` smallest and largest values are dropped and the rest averaged, unweighted. The
 * kept values are summed in float64: in ascending order for up to 32 vectors (so the result does not depend
 * on their order), in quickselect's order above (where a permutation may change the float64 sum in its
 * last bits).
 */
export function coordinateTrimmedMean(vectors: readonly ArrayLike<number>[], beta: number): Float64Array {
  const d = assertSameLength(vectors);
  const n = vectors.length;
  const cut = trimCount(n, beta);
  const kept = n - 2 * cut;
  const out = new Float64Array(d);
  const scratch = new Float64Array(n);
  for (let k = 0; k < d; k++) {
    for (let i = 0; i < n; i++) scratch[i] = vectors[i]![k]!;
    if (n <= SORT_LIMIT) {
      sortPrefix(scratch, n);
    } else if (cut > 0) {
      selectRank(scratch, cut, 0, n - 1);
      selectRank(scratch, n - cut - 1, cut, n - 1);
    }
    let sum = 0;
    for (let i = cut; i < n - cut; i++) sum += scratch[i]!;
    out[k] = sum / kept;
  }
  return out;
}

/**
 * Bulyan's second step (El Mhamdi et al. 2018, Algorithm 1; Flower's `aggregate_n_closest_weights`): per
 * coordinate, the mean of the `beta` values closest to `reference[k]` (|x − ref| smallest). The reference
 * and the gaps are rounded to float32 before they are compared, as Flower's float32 arrays are, so the
 * same values are chosen. A tie on the gap is won by the vector listed first (`vectors` come in the order
 * the selection ranked them); Flower leaves ties to `np.argpartition`, whose choice numpy does not specify.
 */
export function closestToReferenceMean(
  vectors: readonly ArrayLike<number>[],
  reference: ArrayLike<number>,
  beta: number,
): Float64Array {
  const d = assertSameLength(vectors);
  const n = vectors.length;
  if (!Number.isSafeInteger(beta) || beta < 1 || beta > n) {
    throw new ValidationError("FL_OPTION_INVALID", `beta must be a whole number in [1, ${n}], got ${beta}`);
  }
  if (reference.length !== d) {
    throw new ValidationError("FL_ARRAYS_MISMATCH", `a reference of ${reference.length} values for ${d}`);
  }
  if (n > MAX_RANKED) {
    throw new ValidationError("FL_TOO_MANY_UPDATES", `${n} updates; Bulyan ranks at most ${MAX_RANKED}`);
  }
  const out = new Float64Array(d);
  const keys = new Float64Array(n);
  for (let k = 0; k < d; k++) {
    const ref = Math.fround(reference[k]!);
    for (let i = 0; i < n; i++) keys[i] = rankKey(Math.abs(vectors[i]![k]! - ref), i);
    if (n <= SORT_LIMIT) sortPrefix(keys, n);
    else if (beta < n) selectRank(keys, beta - 1, 0, n - 1);
    let sum = 0;
    for (let t = 0; t < beta; t++) sum += vectors[positionOfKey(keys[t]!)]![k]!;
    out[k] = sum / beta;
  }
  return out;
}
