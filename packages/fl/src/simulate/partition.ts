import { ValidationError } from "@flock/core";
import { createRng, mixSeed, type Rng, shuffled } from "@flock/engine";
import { LazyPermutation, sampleCategorical, sampleGamma } from "./random.ts";

/**
 * How labels are spread over clients.
 * - `iid`: every client draws from the whole training set.
 * - `dirichlet`: client i's label proportions qᵢ ~ Dir(α·K·p), p the training label frequencies (for balanced
 *   classes the symmetric Dir(α, …, α)); Hsu, Qi and Brown, "Measuring the Effects of Non-Identical Data
 *   Distribution for Federated Visual Classification", 2019 (their Dir(α′p) with α′ = K·α). Small α: few
 *   labels per client.
 * - `shards`: McMahan et al. 2017's pathological non-IID split: the rows sorted by label are cut into
 *   n·s equal shards and each client gets s of them (default 2), so most clients see two labels.
 */
export type LabelSkew =
  | { readonly kind: "iid" }
  | { readonly kind: "dirichlet"; readonly alpha: number }
  | { readonly kind: "shards"; readonly shardsPerClient?: number };

/**
 * How many examples each client holds (`shards` are always equal).
 * - `equal`; `lognormal`: sizes ∝ exp(σ·z), z ~ N(0, 1) (Li et al., "Federated Optimization in
 *   Heterogeneous Networks", 2020, use lognormal sizes); `powerlaw`: Pareto sizes with the given exponent
 *   (> 1 when the population is sampled, so the mean exists).
 */
export type QuantitySkew =
  | { readonly kind: "equal" }
  | { readonly kind: "lognormal"; readonly sigma: number }
  | { readonly kind: "powerlaw"; readonly exponent: number };

export interface PartitionOptions {
  readonly numClients: number;
  readonly labels?: LabelSkew;
  readonly quantity?: QuantitySkew;
  /**
   * Mean examples per client. Default: every training row shared out (⌊rows / n⌋, the remainder to the first
   * clients) when that gives each client at least 10, else 10 per client, sampled.
   */
  readonly examplesPerClient?: number;
  readonly seed: number;
}

/** Which training rows each client holds, computed on demand from (seed, client). */
export interface Partition {
  readonly numClients: number;
  /**
   * True when the clients hold disjoint subsets of the training rows (n × mean size ≤ rows); false when each
   * client samples its rows with replacement from the label pools (large populations).
   */
  readonly exact: boolean;
  /** The label skew in force (after defaults). */
  readonly labels: LabelSkew;
  /** Client i's training-row indices (a fresh array each call; never empty). */
  rowsOf(client: number): Int32Array;
  /** Client i's label proportions (Dirichlet) or the labels of its shards' classes; undefined for iid. */
  labelProportionsOf(client: number): Float64Array | undefined;
}

/** Stream ids mixed into the seed, one per independent decision. */
const STREAM = { proportions: 1, assign: 2, size: 3, order: 4, shards: 5, sample: 6 } as const;
const MIN_DEFAULT_EXAMPLES = 10;
/** A sampled client never holds more than this many times the mean (power-law tails). */
const MAX_SIZE_RATIO = 20;

/**
 * Splits training rows over a population of clients, lazily: nothing per client is stored for a sampled
 * population, so 100,000 clients cost no more memory than 10.
 *
 * Exact mode (n × mean size ≤ rows): a disjoint split of the rows.
 * - iid: a seeded shuffle of the rows cut at the clients' offsets.
 * - dirichlet: Hsu et al.'s procedure. Clients in order 0 … n−1 each draw mᵢ examples: a label from qᵢ
 *   (renormalized over the labels not yet exhausted), then the next unused row of that label in a seeded
 *   order. qᵢ depends only on (seed, i); the rows a client gets depend on its predecessors, so this
 *   assignment (one permutation of the rows and n + 1 offsets: O(rows) memory) is computed once.
 * - shards: rows sorted by label (seeded order within a label) cut into n·s equal shards; client i holds
 *   shards π(i·s), …, π(i·s + s − 1) for a seeded permutation π evaluated lazily.
 * Sampled mode (larger populations): client i draws its size, then each row with replacement from
 * (seed, i) alone — iid: uniformly; dirichlet: a label from the same qᵢ, then a row of that label; shards:
 * its s shards' labels (the label at each shard's position in the label-sorted order), equally.
 */
export function createPartition(
  train: { readonly rows: number; readonly y: Int32Array },
  numClasses: number,
  options: PartitionOptions,
): Partition {
  const { numClients: n, seed } = options;
  const rows = train.rows;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ValidationError("FL_OPTION_INVALID", `a population of ${n} clients`, {
      hint: "give a whole number of clients ≥ 1",
    });
  }
  const labels = options.labels ?? { kind: "iid" };
  const quantity = options.quantity ?? { kind: "equal" };
  validate(labels, quantity);
  const defaulted = options.examplesPerClient === undefined;
  const mean = options.examplesPerClient ?? Math.max(Math.floor(rows / n), MIN_DEFAULT_EXAMPLES);
  if (!Number.isSafeInteger(mean) || mean < 1) {
    throw new ValidationError(
      "FL_OPTION_INVALID",
      `examplesPerClient must be a whole number ≥ 1, got ${mean}`,
    );
  }
  const pools = labelPools(train.y, numClasses, seed);
  const frequencies = Float64Array.from(pools, (p) => p.length / rows);
  const proportionsOf = (client: number): Float64Array | undefined => {
    checkClient(client, n);
    if (labels.kind === "dirichlet") {
      const rng = createRng(mixSeed(seed, STREAM.proportions, client));
      // Dir(α·K·p): a Gamma(α·K·p_c) draw per label, normalized (labels absent from the data get nothing).
      const q = new Float64Array(numClasses);
      let sum = 0;
      for (let c = 0; c < numClasses; c++) {
        q[c] = frequencies[c]! > 0 ? sampleGamma(rng, labels.alpha * numClasses * frequencies[c]!) : 0;
        sum += q[c]!;
      }
      // A tiny α can underflow every draw: the limit is one label taking everything.
      if (sum > 0) for (let c = 0; c < numClasses; c++) q[c]! /= sum;
      else q[sampleCategorical(rng, frequencies)!] = 1;
      return q;
    }
    if (labels.kind === "shards") return shardLabels(client);
    return undefined;
  };
  const s = labels.kind === "shards" ? (labels.shardsPerClient ?? 2) : 1;
  const shardCount = n * s;
  const shardPerm =
    labels.kind === "shards" ? new LazyPermutation(shardCount, mixSeed(seed, STREAM.shards)) : undefined;
  const sortedByLabel = labels.kind === "shards" ? Int32Array.from(pools.flat()) : undefined;
  function shardLabels(client: number): Float64Array {
    const q = new Float64Array(numClasses);
    for (let j = 0; j < s; j++) {
      const shard = shardPerm!.at(client * s + j);
      const position = Math.min(rows - 1, Math.floor(((shard + 0.5) * rows) / shardCount));
      q[train.y[sortedByLabel![position]!]!]! += 1 / s;
    }
    return q;
  }

  const exact = n * mean <= rows;
  if (exact) {
    const total = defaulted ? rows : n * mean;
    if (labels.kind === "shards") {
      const shardSize = Math.floor(rows / shardCount);
      if (shardSize < 1) {
        throw new ValidationError("FL_OPTION_INVALID", `${shardCount} shards of ${rows} rows`, {
          hint: "use fewer clients or fewer shards per client",
        });
      }
      const size = Math.min(shardSize, Math.floor(total / shardCount));
      return {
        numClients: n,
        exact,
        labels,
        rowsOf(client) {
          checkClient(client, n);
          const out = new Int32Array(s * size);
          for (let j = 0; j < s; j++) {
            const start = shardPerm!.at(client * s + j) * shardSize;
            out.set(sortedByLabel!.subarray(start, start + size), j * size);
          }
          return out;
        },
        labelProportionsOf: proportionsOf,
      };
    }
    const sizes = exactSizes(n, total, quantity, seed);
    const offsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i]! + sizes[i]!;
    const assignment =
      labels.kind === "dirichlet"
        ? dirichletAssignment(pools, sizes, (i) => proportionsOf(i)!, seed)
        : Int32Array.from(
            shuffled(
              Array.from({ length: rows }, (_, r) => r),
              createRng(mixSeed(seed, STREAM.order)),
            ),
          );
    return {
      numClients: n,
      exact,
      labels,
      rowsOf(client) {
        checkClient(client, n);
        return assignment.slice(offsets[client]!, offsets[client + 1]!);
      },
      labelProportionsOf: proportionsOf,
    };
  }

  return {
    numClients: n,
    exact,
    labels,
    rowsOf(client) {
      checkClient(client, n);
      const size = sampledSize(mean, quantity, createRng(mixSeed(seed, STREAM.size, client)));
      const rng = createRng(mixSeed(seed, STREAM.sample, client));
      const out = new Int32Array(size);
      const q = proportionsOf(client);
      for (let k = 0; k < size; k++) {
        if (!q) {
          out[k] = rng.nextInt(rows);
          continue;
        }
        const c = labels.kind === "shards" ? shardClassOf(q, k, size) : sampleCategorical(rng, q)!;
        const pool = pools[c]!;
        out[k] = pool[rng.nextInt(pool.length)]!;
      }
      return out;
    },
    labelProportionsOf: proportionsOf,
  };
}

/** For a sampled shards client: example k of `size` takes its label from the shard it falls in. */
function shardClassOf(q: Float64Array, k: number, size: number): number {
  const u = (k + 0.5) / size;
  let acc = 0;
  let last = 0;
  for (let c = 0; c < q.length; c++) {
    if (q[c]! <= 0) continue;
    last = c;
    acc += q[c]!;
    if (u < acc) return c;
  }
  return last;
}

function validate(labels: LabelSkew, quantity: QuantitySkew): void {
  if (labels.kind === "dirichlet" && !(labels.alpha > 0 && Number.isFinite(labels.alpha))) {
    throw new ValidationError("FL_OPTION_INVALID", `Dirichlet α must be > 0, got ${labels.alpha}`, {
      hint: "use e.g. 0.1 (very skewed), 0.5 or 1 (mild), 100 (close to iid)",
    });
  }
  if (labels.kind === "shards") {
    const s = labels.shardsPerClient ?? 2;
    if (!Number.isSafeInteger(s) || s < 1) {
      throw new ValidationError("FL_OPTION_INVALID", `shardsPerClient must be a whole number ≥ 1, got ${s}`);
    }
    if (quantity.kind !== "equal") {
      throw new ValidationError(
        "FL_OPTION_INVALID",
        "shards have equal sizes: quantity skew does not apply",
        {
          hint: "use quantity skew with iid or Dirichlet labels",
        },
      );
    }
  }
  if (quantity.kind === "lognormal" && !(quantity.sigma >= 0 && Number.isFinite(quantity.sigma))) {
    throw new ValidationError("FL_OPTION_INVALID", `lognormal σ must be ≥ 0, got ${quantity.sigma}`);
  }
  if (quantity.kind === "powerlaw" && !(quantity.exponent > 0 && Number.isFinite(quantity.exponent))) {
    throw new ValidationError(
      "FL_OPTION_INVALID",
      `the power-law exponent must be > 0, got ${quantity.exponent}`,
    );
  }
}

function checkClient(client: number, n: number): void {
  if (!Number.isSafeInteger(client) || client < 0 || client >= n) {
    throw new ValidationError("FL_UNKNOWN_CLIENT", `no client ${client} in a population of ${n}`, {
      hint: `clients are numbered 0 … ${n - 1}`,
    });
  }
}

/** The training rows of each label, each in a seeded order. */
function labelPools(y: Int32Array, numClasses: number, seed: number): number[][] {
  const pools: number[][] = Array.from({ length: numClasses }, () => []);
  for (let r = 0; r < y.length; r++) {
    const c = y[r]!;
    if (!(c >= 0 && c < numClasses)) {
      throw new ValidationError(
        "FL_DATASET_INVALID",
        `row ${r} has label ${c} outside 0 … ${numClasses - 1}`,
      );
    }
    pools[c]!.push(r);
  }
  return pools.map((pool, c) => shuffled(pool, createRng(mixSeed(seed, STREAM.order, 1 + c))));
}

/** A size weight for client i: 1 (equal), exp(σz) (lognormal) or a Pareto draw U^(−1/a) (power law). */
function sizeWeight(quantity: QuantitySkew, rng: Rng): number {
  if (quantity.kind === "lognormal") return Math.exp(quantity.sigma * rng.nextNormal());
  if (quantity.kind === "powerlaw") return (1 - rng.next()) ** (-1 / quantity.exponent);
  return 1;
}

/** Exact sizes summing to `total`: one example each, the rest apportioned by weight (largest remainder). */
function exactSizes(n: number, total: number, quantity: QuantitySkew, seed: number): Int32Array {
  const sizes = new Int32Array(n);
  if (quantity.kind === "equal") {
    for (let i = 0; i < n; i++) sizes[i] = Math.floor(total / n) + (i < total % n ? 1 : 0);
    return sizes;
  }
  const weights = Array.from({ length: n }, (_, i) =>
    sizeWeight(quantity, createRng(mixSeed(seed, STREAM.size, i))),
  );
  const sum = weights.reduce((a, b) => a + b, 0);
  const spare = total - n;
  const shares = weights.map((w) => (spare * w) / sum);
  let given = 0;
  for (let i = 0; i < n; i++) {
    sizes[i] = 1 + Math.floor(shares[i]!);
    given += sizes[i]!;
  }
  const order = shares
    .map((v, i) => ({ frac: v - Math.floor(v), i }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (let k = 0; given < total; k++, given++) sizes[order[k % n]!.i]! += 1;
  return sizes;
}

/** A sampled client's size: mean-preserving lognormal or Pareto, at least 1, at most 20 × the mean. */
function sampledSize(mean: number, quantity: QuantitySkew, rng: Rng): number {
  let size = mean;
  if (quantity.kind === "lognormal") {
    size = mean * Math.exp(quantity.sigma * rng.nextNormal() - quantity.sigma ** 2 / 2);
  } else if (quantity.kind === "powerlaw") {
    const a = quantity.exponent;
    if (!(a > 1)) {
      throw new ValidationError(
        "FL_OPTION_INVALID",
        `a sampled population needs a power-law exponent > 1, got ${a}`,
        {
          hint: "the mean size is infinite for exponents ≤ 1",
        },
      );
    }
    size = ((mean * (a - 1)) / a) * (1 - rng.next()) ** (-1 / a);
  }
  return Math.max(1, Math.min(MAX_SIZE_RATIO * mean, Math.round(size)));
}

/**
 * Hsu et al.'s disjoint Dirichlet assignment: client by client, each example's label is drawn from the
 * client's proportions over the labels that still have rows, and takes the next row of that label.
 */
function dirichletAssignment(
  pools: readonly number[][],
  sizes: Int32Array,
  proportionsOf: (client: number) => Float64Array,
  seed: number,
): Int32Array {
  const total = sizes.reduce((a, b) => a + b, 0);
  const out = new Int32Array(total);
  const next = new Int32Array(pools.length);
  let k = 0;
  for (let i = 0; i < sizes.length; i++) {
    const q = Float64Array.from(proportionsOf(i));
    const rng = createRng(mixSeed(seed, STREAM.assign, i));
    for (let e = 0; e < sizes[i]!; e++) {
      for (let c = 0; c < pools.length; c++) if (next[c]! >= pools[c]!.length) q[c] = 0;
      let c = sampleCategorical(rng, q);
      if (c === null) {
        // The client's labels are exhausted: take any label with rows left, in proportion to what is left.
        c = sampleCategorical(
          rng,
          Float64Array.from(pools, (p, j) => p.length - next[j]!),
        )!;
      }
      out[k++] = pools[c]![next[c]!]!;
      next[c]! += 1;
    }
  }
  return out;
}
