import { isBetter, type ScoreDirection } from "./score.ts";

/** A scored entry to rank. */
export interface Ranked {
  id: string;
  score: bigint;
}

/**
 * Competition ranking ("1224"): rank = number of entries strictly better, so the best is rank 0 and equal
 * scores share a rank without lifting the entries after them. Independent of input order.
 */
export function rankByScore(entries: readonly Ranked[], direction: ScoreDirection): Map<string, number> {
  const ranks = new Map<string, number>();
  for (const entry of entries) {
    let better = 0;
    for (const other of entries) if (isBetter(other.score, entry.score, direction)) better++;
    ranks.set(entry.id, better);
  }
  return ranks;
}
