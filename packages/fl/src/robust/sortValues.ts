/** Below this many values an insertion sort beats the native typed-array sort (no call overhead). */
const INSERTION_LIMIT = 32;

/**
 * Sorts the first `n` entries of `values` ascending in place: an insertion sort for small `n` (the usual
 * number of updates in a round), the native numeric typed-array sort above (on the whole array when `n` is
 * its length, so no view is allocated). Both give the same order of values, so results computed from the
 * sorted scratch never depend on the order the values came in.
 */
export function sortPrefix(values: Float64Array, n: number): void {
  if (n > INSERTION_LIMIT) {
    (n === values.length ? values : values.subarray(0, n)).sort();
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

/** Positions are packed below this power of two in a rank key (so up to 2²¹ vectors). */
const POSITION_RANGE = 2 ** 21;
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * A number that orders (gap, position) pairs lexicographically: the float32 bit pattern of a non-negative
 * gap (which grows with the gap) times 2²¹, plus the position — exact in float64 (below 2⁵²), so a plain
 * numeric sort of keys sorts by gap with ties won by the lower position, with no comparator.
 */
export function rankKey(gap: number, position: number): number {
  f32[0] = gap;
  return u32[0]! * POSITION_RANGE + position;
}

/** The position packed in a `rankKey`. */
export function positionOfKey(key: number): number {
  return key % POSITION_RANGE;
}

/** The most vectors a `rankKey` can tell apart. */
export const MAX_RANKED = POSITION_RANGE;

/**
 * Quickselect (Hoare, "Algorithm 65: Find", CACM 1961; median-of-three pivot): rearranges `a[lo..hi]` so
 * that `a[k]` holds the value of rank k, everything before it is ≤ and everything after it ≥. O(n) expected,
 * in place, no allocation.
 */
export function selectRank(a: Float64Array, k: number, lo: number, hi: number): void {
  while (hi > lo) {
    const x = a[lo]!;
    const y = a[(lo + hi) >> 1]!;
    const z = a[hi]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z)); // the median of the three
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}
