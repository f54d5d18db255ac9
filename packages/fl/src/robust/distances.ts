import { ValidationError } from "@flock/core";

/**
 * The n×n matrix (row-major) of squared Euclidean distances ‖xᵢ − xⱼ‖² between flat vectors, accumulated
 * in float64 from the differences themselves (so the diagonal is exactly 0 and every entry ≥ 0, unlike
 * the ‖x‖² + ‖y‖² − 2x·y shortcut Flower's `compute_distances` takes). O(n²·d) time, O(n²) memory.
 */
export function pairwiseSquaredDistances(vectors: readonly ArrayLike<number>[]): Float64Array {
  const n = vectors.length;
  const d = n === 0 ? 0 : vectors[0]!.length;
  for (const v of vectors) {
    if (v.length !== d) {
      throw new ValidationError("FL_ARRAYS_MISMATCH", `vectors of ${v.length} and ${d} values`, {
        hint: "every update must have the model's layout",
      });
    }
  }
  const out = new Float64Array(n * n);
  const put = (i: number, j: number, value: number) => {
    out[i * n + j] = value;
    out[j * n + i] = value;
  };
  for (let i = 0; i < n; i++) {
    const a = vectors[i]!;
    let j = i + 1;
    // four partners per pass: each a[k] is read once for four sums (the same sums, in the same order)
    for (; j + 4 <= n; j += 4) {
      const b0 = vectors[j]!;
      const b1 = vectors[j + 1]!;
      const b2 = vectors[j + 2]!;
      const b3 = vectors[j + 3]!;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < d; k++) {
        const x = a[k]!;
        const d0 = x - b0[k]!;
        const d1 = x - b1[k]!;
        const d2 = x - b2[k]!;
        const d3 = x - b3[k]!;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      put(i, j, s0);
      put(i, j + 1, s1);
      put(i, j + 2, s2);
      put(i, j + 3, s3);
    }
    for (; j < n; j++) {
      const b = vectors[j]!;
      let sum = 0;
      for (let k = 0; k < d; k++) {
        const diff = a[k]! - b[k]!;
        sum += diff * diff;
      }
      put(i, j, sum);
    }
  }
  return out;
}
