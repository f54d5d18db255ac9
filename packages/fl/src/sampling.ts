import { ValidationError } from "@flock/core";
import { createRng, mixSeed } from "@flock/engine";
import type { NodeId } from "./messages.ts";

/**
 * `k` distinct nodes drawn uniformly without replacement (Floyd's algorithm: O(k) memory however large
 * the population), deterministic in (seed, round). Throws FL_NOT_ENOUGH_NODES when fewer than `k` exist.
 */
export function sampleNodes(ids: readonly NodeId[], k: number, seed: number, round: number): NodeId[] {
  const n = ids.length;
  if (k > n) {
    throw new ValidationError("FL_NOT_ENOUGH_NODES", `a round needs ${k} nodes and ${n} are available`, {
      hint: "lower the minimum number of nodes or wait for more nodes to connect",
    });
  }
  if (k === n) return [...ids];
  const rng = createRng(mixSeed(seed, round));
  const chosen = new Set<number>();
  const order: number[] = [];
  for (let j = n - k; j < n; j++) {
    const t = rng.nextInt(j + 1);
    const pick = chosen.has(t) ? j : t;
    chosen.add(pick);
    order.push(pick);
  }
  return order.map((i) => ids[i]!);
}

/** Flower's sample size: `max(floor(available × fraction), minimum)`. */
export function sampleSize(available: number, fraction: number, minimum: number): number {
  return Math.max(Math.floor(available * fraction), minimum);
}
