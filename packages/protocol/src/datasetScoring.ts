import { ValidationError, WAD } from "@flock/core";
import { assertUnique, readCount, readSignedInteger } from "./validate.ts";

/** A revealed dataset's score (baseline loss − loss, fixed point; higher is better) and its commit order. */
export interface DatasetEntry {
  id: string;
  score: bigint;
  /** Position of the commit on the chain (block · txIndex or a sequence); lower is earlier. */
  commitOrder: bigint | number;
}

/**
 * SPEC §2.3 weights by top-k: sort by score (higher is better), ties broken by the earliest commit (then
 * by id, so the order is total), keep the best k and give each an equal WAD weight; the floor remainder
 * goes to the best entry so the weights sum to exactly 1e18. Everyone else gets 0.
 * (Softmax at temperature T needs exp(); it is not offered because it would bring floats into rewards.)
 */
export function topKWeights(entries: readonly DatasetEntry[], k: number): Map<string, bigint> {
  if (!Number.isSafeInteger(k) || k < 1) {
    throw new ValidationError("TOP_K_INVALID", `k ${String(k)} must be a whole number ≥ 1`, {
      hint: "choose how many datasets share the reward, e.g. k = 1 for winner-takes-all",
    });
  }
  assertUnique(
    entries.map((e) => e.id),
    "dataset",
  );
  const ordered = entries
    .map((e, i) => ({
      id: e.id,
      score: readSignedInteger(e.score, `entries[${i}].score`),
      commitOrder: readCount(e.commitOrder, `entries[${i}].commitOrder`),
    }))
    .sort((a, b) => {
      if (a.score !== b.score) return a.score > b.score ? -1 : 1;
      if (a.commitOrder !== b.commitOrder) return a.commitOrder < b.commitOrder ? -1 : 1;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  const winners = ordered.slice(0, k);
  const weights = new Map<string, bigint>(ordered.map((e) => [e.id, 0n]));
  if (winners.length === 0) return weights;
  const each = WAD / BigInt(winners.length);
  winners.forEach((w, i) => {
    weights.set(w.id, i === 0 ? WAD - each * BigInt(winners.length - 1) : each);
  });
  return weights;
}
