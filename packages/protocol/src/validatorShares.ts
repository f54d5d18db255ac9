import { WAD } from "@flock/core";
import { distributeProRata, type ProRata } from "./proRata.ts";
import { stakePower } from "./stakePower.ts";

/**
 * Accuracy of one score against consensus, in WAD. Linear decay with the distance d = |score − consensus|
 * relative to the tolerance τ (in score units):
 *   accuracy = 1 − min(d, τ) / τ      (1 at consensus, 0 at or beyond τ; τ = 0 means exact match only)
 * Honest validators on the bit-reproducible engine agree exactly (SPEC §2.1), so a score τ or more off
 * consensus earns nothing and is evidence for a dispute. Monotone: a larger distance never scores higher.
 */
export function scoreAccuracyWad(score: bigint, consensus: bigint, toleranceScore: bigint): bigint {
  const d = score >= consensus ? score - consensus : consensus - score;
  if (toleranceScore === 0n) return d === 0n ? WAD : 0n;
  if (d >= toleranceScore) return 0n;
  return (WAD * (toleranceScore - d)) / toleranceScore;
}

/** A validator's accuracy: the mean accuracy of its scores (floor); 0 when it scored nothing. */
export function validatorAccuracyWad(
  scores: readonly { score: bigint; consensus: bigint }[],
  toleranceScore: bigint,
): bigint {
  if (scores.length === 0) return 0n;
  const sum = scores.reduce((acc, s) => acc + scoreAccuracyWad(s.score, s.consensus, toleranceScore), 0n);
  return sum / BigInt(scores.length);
}

/** SPEC §2.1: a validator's weight = stake^β × accuracy × work (completed assignments). */
export function validatorWeight(stake: bigint, accuracyWad: bigint, work: bigint, betaWad: bigint): bigint {
  return stakePower(stake, betaWad) * accuracyWad * work;
}

/** A validator as its share is computed: stake, accuracy (WAD) and completed assignments. */
export interface ValidatorEntry {
  stake: bigint;
  accuracyWad: bigint;
  work: bigint;
}

/** Split a task's validator pool ∝ stake^β × accuracy × work (floor; remainder returned as dust). */
export function validatorShares(pool: bigint, entries: readonly ValidatorEntry[], betaWad: bigint): ProRata {
  return distributeProRata(
    pool,
    entries.map((e) => validatorWeight(e.stake, e.accuracyWad, e.work, betaWad)),
  );
}
