/** Below this many values an insertion sort beats the native typed-array sort (no call overhead). */
const INSERTION_LIMIT = 32;

/**
 * Sorts the first `n` entries of `values` ascending in place: an insertion sort for small `n` (the usual
 * number of updates in a round), the native numeric typed-array sort above. Both give the same order of
 * values, so results computed from the sorted scratch never depend on the order the values came in.
 */
export function sortPrefix(values: Float64Array, n: number): void {
  if (n > INSERTION_LIMIT) {
    values.subarray(0, n).sort();
    return;
  }
  for (let i = 1; i < n; i++) {
    const v = values[i]!;
    let j = i - 1;
    while (j >= 0 && values[j]! > v) {
      values[j + 1] = values[j]!;
      j--;
    }
    values[j + 1] = v;
  }
}

/**
 * Sorts the first `n` positions of `order` by (`keys[p]`, `p`) ascending: a stable sort by key, ties won by
 * the lower position. The key order is a strict total order, so the result is unique.
 */
export function sortPositionsByKey(keys: Float64Array, order: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) order[i] = i;
  if (n > INSERTION_LIMIT) {
    order.subarray(0, n).sort((a, b) => keys[a]! - keys[b]! || a - b);
    return;
  }
  for (let i = 1; i < n; i++) {
    const p = order[i]!;
    const k = keys[p]!;
    let j = i - 1;
    while (j >= 0 && keys[order[j]!]! > k) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = p;
  }
}
