import { isqrt } from "./fixedPoint.ts";
import { drawWithoutReplacement } from "./seededDraw.ts";

/** A validator that may be drawn, with its stake on the task (gmFLOCK base units). */
export interface ValidatorCandidate {
  account: string;
  stake: bigint;
}

/** Everything a validator draw depends on: given the same values, anyone re-runs it and gets the same list. */
export interface DrawValidatorsInput {
  /** Public randomness fixed for the task (the hash of the first block after the submission deadline). */
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

/**
 * Draw up to k distinct validators for a submission, without replacement, each draw with probability
 * ∝ √stake among those left (SPEC §2.1: rising with stake, with diminishing returns). Pure and
 * deterministic: the same seed and candidates give the same validators, in draw order, so anyone holding
 * the published seed and the frozen stakes can recompute who was assigned.
 */
export function drawValidators(input: DrawValidatorsInput): string[] {
  const excluded = new Set([input.submitter, ...(input.exclude ?? [])].map((a) => a.toLowerCase()));
  // Sorted by account so the draw does not depend on the order the candidates were read in.
  const pool = input.candidates
    .map((c) => ({ account: c.account.toLowerCase(), weight: isqrt(c.stake) }))
    .filter((c) => !excluded.has(c.account) && c.weight > 0n)
    .sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  // w_i = ⌊√stake_i⌋; each draw picks i with P = w_i / Σ w among those left.
  return drawWithoutReplacement(
    pool,
    input.k,
    (index) => `flock-assignment:${input.seed}:${input.submissionId}:${index}`,
    input.firstDraw ?? 0,
  ).map((c) => c.account);
}
