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
  for (let i = 0; i < n; i++) {
    const a = vectors[i]!;
    for (let j = i + 1; j < n; j++) {
      const b = vectors[j]!;
      let sum = 0;
      for (let k = 0; k < d; k++) {
        const diff = a[k]! - b[k]!;
        sum += diff * diff;
      }
      out[i * n + j] = sum;
      out[j * n + i] = sum;
    }
  }
  return out;
}
