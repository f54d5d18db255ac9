import { ValidationError } from "@flock/core";
import { createRng, mixSeed, shuffled } from "@flock/engine";
import { grandCoalition } from "./coalition.ts";
import type { Utility } from "./utility.ts";
import { assertPlayers, type ContributionValues } from "./values.ts";

/** GTG-Shapley's sampling, convergence and truncation settings (defaults as the authors' code). */
export interface GtgShapleyOptions {
  /** Seed of the permutations (default 0): the same seed, utility and options give the same values. */
  readonly seed?: number;
  /**
   * Sample at least this many permutations before testing convergence (default max(30, n), as the
   * authors' code; never above maxPermutations unless set).
   */
  readonly minPermutations?: number;
  /** Stop after this many permutations, converged or not (default max(minPermutations, 10·n)). */
  readonly maxPermutations?: number;
  /**
   * Convergence: stop when, over the last `window` permutations, the running estimates moved by at most
   * this fraction of their size: max_t Σᵢ|φᵢ⁽ᵏ⁻ᵗ⁾ − φᵢ⁽ᵏ⁾| / Σᵢ|φᵢ⁽ᵏ⁾| ≤ tolerance (default 0.05).
   */
  readonly tolerance?: number;
  /** Running estimates compared by the convergence test (default 10). */
  readonly window?: number;
  readonly truncation?: {
    /** Skip the round (every value 0, two evaluations) when |v(N) − v(∅)| < this (default 0.001). */
    readonly round?: number;
    /** End a permutation's walk once |v(N) − v(S)| < this: later players add 0 (default 0.001). */
    readonly walk?: number;
  };
}

/** GTG-Shapley's estimates and how they were reached. */
export interface GtgShapleyValues extends ContributionValues {
  /** Permutations sampled (0 when the round was truncated). */
  readonly permutations: number;
  /** The convergence test passed (false: stopped at maxPermutations, or the round was truncated). */
  readonly converged: boolean;
  /** |v(N) − v(∅)| was below the round threshold, so every value is 0. */
  readonly truncatedRound: boolean;
}

/**
 * GTG-Shapley — Liu, Chen, Yu, Liu, Cui, "GTG-Shapley: Efficient and Accurate Participant Contribution
 * Evaluation in Federated Learning", ACM TIST 13(4), 2022 (Algorithm 1): a Monte-Carlo estimate of the
 * Shapley value from sampled permutations (Ghorbani & Zou 2019, TMC-Shapley) that evaluates few candidate
 * aggregates:
 *  - round truncation: when the whole round barely moved the metric, |v(N) − v(∅)| < ε_round, every
 *    value is 0 and no sub-model is evaluated;
 *  - walk truncation: along a permutation, once |v(N) − v(S)| < ε_walk the remaining players' marginal
 *    gains are taken as 0 (they cannot add what is left);
 *  - guided sampling: permutations come in cycles of n, each player first in turn (the rest in random
 *    order), so every player's large early marginal gain is measured equally often;
 *  - convergence on the running averages over the last few permutations.
 * Subset utilities are memoized, so a coalition met again costs nothing. One deliberate change from the
 * peers (the authors' code and FedML): the convergence error is relative to Σᵢ|φᵢ| rather than to each
 * |φᵢ|, so a player whose value is near 0 (a useless update) cannot keep the estimate from converging.
 */
export async function gtgShapley(
  players: readonly string[],
  utility: Utility,
  options: GtgShapleyOptions = {},
): Promise<GtgShapleyValues> {
  assertPlayers(players, utility);
  const n = utility.players;
  const maxPermutations = gtgMaxPermutations(n, options);
  const minPermutations = whole(
    options.minPermutations ?? Math.min(Math.max(30, n), maxPermutations),
    "minPermutations",
  );
  const tolerance = nonNegative(options.tolerance ?? 0.05, "tolerance");
  const window = whole(options.window ?? 10, "window");
  const roundThreshold = nonNegative(options.truncation?.round ?? 0.001, "truncation.round");
  const walkThreshold = nonNegative(options.truncation?.walk ?? 0.001, "truncation.walk");

  const before = utility.evaluations;
  const all = grandCoalition(n);
  const grand = await utility.value(all);
  const empty = await utility.value(0n);
  const done = (values: number[], permutations: number, converged: boolean, truncatedRound: boolean) => ({
    players,
    values,
    evaluations: utility.evaluations - before,
    grand,
    empty,
    permutations,
    converged,
    truncatedRound,
  });
  if (Math.abs(grand - empty) < roundThreshold) return done(new Array(n).fill(0), 0, false, true);

  const permutations = gtgPermutationSequence(n, options.seed ?? 0);
  const sums = new Float64Array(n);
  const recent: Float64Array[] = []; // the last `window` running averages, oldest first
  /** The marginal gain of each player along one permutation, with walk truncation. */
  const walk = async (order: readonly number[]): Promise<Float64Array> => {
    const gains = new Float64Array(n);
    let coalition = 0n;
    let previous = empty;
    for (const player of order) {
      coalition |= 1n << BigInt(player);
      // Walk truncation: what is left to gain is below ε, so later players add nothing.
      const current = Math.abs(grand - previous) >= walkThreshold ? await utility.value(coalition) : previous;
      gains[player] = current - previous;
      previous = current;
    }
    return gains;
  };
  let k = 0;
  for (;;) {
    // One guided cycle: player `first` leads the cycle's `first`-th permutation. The cycle's walks run
    // concurrently (an asynchronous evaluator may use several workers); their gains are added in
    // permutation order, so the result does not depend on which evaluation finishes first.
    const orders = Array.from({ length: Math.min(n, maxPermutations - k) }, () => permutations.next().value!);
    for (const gains of await Promise.all(orders.map(walk))) {
      for (let i = 0; i < n; i++) sums[i]! += gains[i]!;
      k++;
      recent.push(sums.map((s) => s / k));
      if (recent.length > window) recent.shift();
    }
    const converged = k >= minPermutations && settled(recent, tolerance);
    if (converged || k >= maxPermutations) {
      return done(
        Array.from(sums, (s) => s / k),
        k,
        converged,
        false,
      );
    }
  }
}

/** The most permutations gtgShapley samples for `n` players under `options` (its maxPermutations). */
export function gtgMaxPermutations(
  n: number,
  options: Pick<GtgShapleyOptions, "minPermutations" | "maxPermutations"> = {},
): number {
  return whole(
    options.maxPermutations ?? Math.max(options.minPermutations ?? Math.max(30, n), 10 * n),
    "maxPermutations",
  );
}

/**
 * The permutations gtgShapley walks under `seed`, in order, up to its maxPermutations (it may stop earlier on
 * convergence): guided cycles of n, the k-th permutation of a cycle led by player k, the rest shuffled by the
 * seed. A coordinator that must fix the coalitions to evaluate before any is evaluated takes every prefix.
 */
export function gtgPermutations(
  n: number,
  options: Pick<GtgShapleyOptions, "seed" | "minPermutations" | "maxPermutations"> = {},
): number[][] {
  const sequence = gtgPermutationSequence(n, options.seed ?? 0);
  return Array.from({ length: gtgMaxPermutations(n, options) }, () => sequence.next().value!);
}

/** gtgShapley's endless permutation sequence (one rng, drawn a permutation at a time). */
function* gtgPermutationSequence(n: number, seed: number): Generator<number[], never> {
  const rng = createRng(mixSeed(seed, 0x67746773));
  const everyone = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; ; k++) {
    const first = k % n;
    yield [
      first,
      ...shuffled(
        everyone.filter((i) => i !== first),
        rng,
      ),
    ];
  }
}

/** The running averages moved by at most `tolerance` of their size over the window. */
function settled(recent: readonly Float64Array[], tolerance: number): boolean {
  const last = recent[recent.length - 1]!;
  const size = last.reduce((a, x) => a + Math.abs(x), 0);
  if (size === 0) return true;
  for (const earlier of recent) {
    let moved = 0;
    for (let i = 0; i < last.length; i++) moved += Math.abs(earlier[i]! - last[i]!);
    if (moved / size > tolerance) return false;
  }
  return true;
}

function whole(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be a whole number ≥ 1, got ${value}`, {
      hint: `pass ${name} as a positive integer`,
    });
  }
  return value;
}

function nonNegative(value: number, name: string): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be a finite number ≥ 0, got ${value}`, {
      hint: `pass ${name} in the utility's units, e.g. 0.001 for accuracy`,
    });
  }
  return value;
}
