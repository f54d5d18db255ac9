import { sha256Hex } from "@flock/core";

/**
 * A uniform draw in [0, bound) from a public label: sha256(label) read as a 256-bit number, mod bound.
 * The modulo bias is below bound / 2^256, negligible for any stake total (bound must be > 0).
 */
export function seededUniform(label: string, bound: bigint): bigint {
  return BigInt(`0x${sha256Hex(label)}`) % bound;
}

/** An entry of a weighted draw: its weight must be > 0 (callers drop zero weights first). */
export interface Weighted {
  weight: bigint;
}

/**
 * Weighted sampling without replacement from a public seed: up to `count` entries, each draw picking
 * entry i among those left with probability w_i / Σw, by walking the cumulative weights in `pool`'s order
 * to the draw `seededUniform(labelOf(index), Σw)`. Draw indices run from `firstIndex`, one per pick.
 * Pure and exact (bigint), so anyone holding the seed and the same ordered pool recomputes the same picks;
 * callers sort the pool canonically first. Returns the picks in draw order; `pool` is not modified.
 */
export function drawWithoutReplacement<T extends Weighted>(
  pool: readonly T[],
  count: number,
  labelOf: (index: number) => string,
  firstIndex = 0,
): T[] {
  const left = [...pool];
  const chosen: T[] = [];
  let index = firstIndex;
  while (chosen.length < count && left.length > 0) {
    const total = left.reduce((sum, c) => sum + c.weight, 0n);
    let target = seededUniform(labelOf(index), total);
    index += 1;
    const at = left.findIndex((c) => {
      if (target < c.weight) return true;
      target -= c.weight;
      return false;
    });
    chosen.push(left[at]!);
    left.splice(at, 1);
  }
  return chosen;
}
