import { sha256Hex, ValidationError } from "@flock/core";

/** A validator that may be drawn, with its stake on the task (gmFLOCK base units). */
export interface ValidatorCandidate {
  account: string;
  stake: bigint;
}

export interface AssignValidatorsInput {
  /** Public randomness fixed for the task (e.g. a block hash): anyone can re-run the draw. */
  seed: string;
  submissionId: number;
  /** The submission's trainer: never drawn (SPEC §2.1). */
  submitter: string;
  candidates: readonly ValidatorCandidate[];
  /** Validators to draw (default 3 per SPEC §2.1). */
  k: number;
  /** Accounts already drawn for this submission (a re-assignment after a timeout draws someone new). */
  exclude?: readonly string[];
  /** Index of the first draw, so re-assignments use fresh randomness: the number of earlier draws. */
  firstDraw?: number;
}

/** ⌊√n⌋ for a non-negative bigint (Newton's method). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new ValidationError("SQRT_NEGATIVE", `cannot take the square root of ${n}`);
  if (n < 2n) return n;
  let x = n;
  let y = (x + 1n) / 2n;
  while (y < x) {
    x = y;
    y = (x + n / x) / 2n;
  }
  return x;
}

/** A uniform draw in [0, bound) from the seed, the submission and the draw index (sha256 as a 256-bit number). */
function draw(seed: string, submissionId: number, index: number, bound: bigint): bigint {
  return BigInt(`0x${sha256Hex(`flock-assignment:${seed}:${submissionId}:${index}`)}`) % bound;
}

/**
 * Draw up to k distinct validators for a submission, without replacement, each draw with probability
 * ∝ √stake among those left (SPEC §2.1: rising with stake, with diminishing returns). Pure and
 * deterministic: the same seed and candidates give the same validators, in draw order.
 */
export function assignValidators(input: AssignValidatorsInput): string[] {
  const excluded = new Set([input.submitter, ...(input.exclude ?? [])].map((a) => a.toLowerCase()));
  // Sorted by account so the draw does not depend on the order the candidates were read in.
  const pool = input.candidates
    .map((c) => ({ account: c.account.toLowerCase(), weight: isqrt(c.stake) }))
    .filter((c) => !excluded.has(c.account) && c.weight > 0n)
    .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  const chosen: string[] = [];
  let index = input.firstDraw ?? 0;
  while (chosen.length < input.k && pool.length > 0) {
    // w_i = ⌊√stake_i⌋; pick i with P = w_i / Σ w
    const total = pool.reduce((sum, c) => sum + c.weight, 0n);
    let target = draw(input.seed, input.submissionId, index, total);
    index += 1;
    const at = pool.findIndex((c) => {
      if (target < c.weight) return true;
      target -= c.weight;
      return false;
    });
    chosen.push(pool[at]!.account);
    pool.splice(at, 1);
  }
  return chosen;
}
