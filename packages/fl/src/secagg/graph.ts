import { ValidationError } from "@flock/core";
import { createRng } from "@flock/engine";
import type { NodeId } from "../messages.ts";

/**
 * The sparse neighbour graph of SecAgg+ — Bell, Bonawitz, Gascón, Lepoint, Raykova, "Secure Single-Server
 * Aggregation with (Poly)Logarithmic Overhead", CCS 2020, §3: each node masks with, and secret-shares its
 * keys among, only its k neighbours in a random Harary graph H(n, k) (the nodes in a random order on a
 * ring, each joined to the k/2 nearest on either side), so the cost per node is O(k) instead of O(n). Its
 * keys are recovered from any t of the k + 1 holders of its neighbourhood (itself included).
 */
export interface NeighbourhoodParameters {
  /** Neighbours of each node (k; n − 1 for the complete graph of Bonawitz et al. 2017). */
  readonly neighbours: number;
  /** Shares of a node's secrets needed to recover them (t, out of its k + 1 holders). */
  readonly threshold: number;
  /** Whether every node is every other's neighbour. */
  readonly complete: boolean;
}

export interface NeighbourhoodOptions {
  /**
   * The fraction of sampled nodes that may drop out over the whole round (δ, default ⅓). On the complete
   * graph exactly ⌊δn⌋ dropouts are tolerated and one more fails; on a sparse graph the dropouts must also
   * leave t holders in every neighbourhood, which a random δ-fraction does but with probability ε.
   */
  readonly dropoutFraction?: number;
  /** ε: the chance that a random δ-fraction of dropouts fails a sparse round (default 10⁻⁶). */
  readonly failureProbability?: number;
  /** k, overriding the choice from δ and ε (even, or n − 1 for the complete graph). */
  readonly neighbours?: number;
  /** t, overriding the choice (more than half of the k + 1 holders, at most all of them). */
  readonly threshold?: number;
}

/** ln P[X ≥ j] for X ~ Binomial(m, p), summed in log space. */
function logBinomialTail(m: number, p: number, j: number): number {
  if (j <= 0) return 0;
  if (j > m) return Number.NEGATIVE_INFINITY;
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  const logFact = [0];
  for (let i = 1; i <= m; i++) logFact.push(logFact[i - 1]! + Math.log(i));
  const terms: number[] = [];
  for (let i = j; i <= m; i++) {
    terms.push(logFact[m]! - logFact[i]! - logFact[m - i]! + i * Math.log(p) + (m - i) * Math.log1p(-p));
  }
  const top = Math.max(...terms);
  return top + Math.log(terms.reduce((a, t) => a + Math.exp(t - top), 0));
}

/**
 * The largest threshold t for neighbourhoods of `size` holders such that n random neighbourhoods all keep
 * t holders under a δ-fraction of dropouts except with probability ε (union bound: n·P[Bin(size, δ) >
 * size − t] ≤ ε); 0 when none does.
 */
function largestSafeThreshold(n: number, size: number, delta: number, epsilon: number): number {
  for (let t = size; t >= 1; t--) {
    if (Math.log(n) + logBinomialTail(size, delta, size - t + 1) <= Math.log(epsilon)) return t;
  }
  return 0;
}

/**
 * The neighbour count k and threshold t for `n` sampled nodes. Chosen: the smallest odd neighbourhood
 * (k + 1 holders) whose largest safe threshold is an honest majority of it — k grows as O(log n / ε) for a
 * fixed δ, as Bell et al. prove — or the complete graph with t = n − ⌊δn⌋ when no sparse one is smaller.
 */
export function neighbourhoodParameters(
  n: number,
  options: NeighbourhoodOptions = {},
): NeighbourhoodParameters {
  const delta = options.dropoutFraction ?? 1 / 3;
  const epsilon = options.failureProbability ?? 1e-6;
  if (!Number.isSafeInteger(n) || n < 2) {
    throw new ValidationError("FL_SECAGG_TOO_FEW_NODES", `secure aggregation of ${n} nodes`, {
      hint: "sample at least 2 nodes (with fewer, the sum is the update)",
    });
  }
  if (!(delta >= 0 && delta < 0.5)) {
    throw new ValidationError("FL_OPTION_INVALID", `dropoutFraction must be in [0, 0.5), got ${delta}`, {
      hint: "at half or more, the threshold would no longer be a majority of holders",
    });
  }
  if (!(epsilon > 0 && epsilon < 1)) {
    throw new ValidationError("FL_OPTION_INVALID", `failureProbability must be in (0, 1), got ${epsilon}`);
  }
  let k = options.neighbours;
  if (k === undefined) {
    k = n - 1;
    for (let size = 3; size < n; size += 2) {
      if (largestSafeThreshold(n, size, delta, epsilon) >= Math.floor(size / 2) + 1) {
        k = size - 1;
        break;
      }
    }
  } else if (!Number.isSafeInteger(k) || k < 1 || k > n - 1 || (k !== n - 1 && k % 2 !== 0)) {
    throw new ValidationError(
      "FL_OPTION_INVALID",
      `neighbours must be even and < ${n - 1}, or ${n - 1}; got ${k}`,
      {
        hint: "a Harary graph joins each node to k/2 nodes on either side of a ring",
      },
    );
  }
  const size = k + 1;
  const complete = k === n - 1;
  const majority = Math.floor(size / 2) + 1;
  let t = options.threshold;
  if (t === undefined) {
    t = complete
      ? n - Math.floor(delta * n)
      : Math.max(majority, largestSafeThreshold(n, size, delta, epsilon));
  }
  if (!Number.isSafeInteger(t) || t < majority || t > size) {
    throw new ValidationError(
      "FL_SECAGG_THRESHOLD_INVALID",
      `a threshold of ${t} for neighbourhoods of ${size} holders`,
      { hint: `the threshold must be a majority of the holders: between ${majority} and ${size}` },
    );
  }
  return { neighbours: k, threshold: t, complete };
}

/**
 * Each node's neighbourhood in the random Harary graph H(n, k) drawn from `seed`: itself and its k
 * neighbours, sorted (a holder's share is the polynomial at 1 + its index in the owner's list).
 */
export function harary(nodes: readonly NodeId[], k: number, seed: number): Map<NodeId, NodeId[]> {
  const order = [...nodes].sort();
  const rng = createRng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const n = order.length;
  const out = new Map<NodeId, NodeId[]>();
  if (k >= n - 1) {
    const all = [...nodes].sort();
    for (const id of nodes) out.set(id, all);
    return out;
  }
  const half = k / 2;
  order.forEach((id, i) => {
    const hood: NodeId[] = [id];
    for (let d = 1; d <= half; d++) hood.push(order[(i + d) % n]!, order[(i - d + n) % n]!);
    out.set(id, hood.sort());
  });
  return out;
}
