import { WAD } from "@flock/core";
import { powWad } from "./fixedPoint.ts";
import { distributeProRata } from "./proRata.ts";
import { rankByScore } from "./rank.ts";
import type { ScoreDirection } from "./score.ts";
import { stakePower } from "./stakePower.ts";

/** Rank-geometric decay ρ = 0.8 [FLock uses a rank-based geometric series], in WAD. */
export const DEFAULT_RHO_WAD = (WAD * 8n) / 10n;
/** Diminishing returns on stake, β = 0.5 (must be k/2^n with n ≤ 8), in WAD. */
export const DEFAULT_BETA_WAD = WAD / 2n;

/** A ranked trainer submission: its consensus score and its total stake (own + delegated). */
export interface TrainerEntry {
  id: string;
  score: bigint;
  stake: bigint;
}

/** SPEC §2.1: a trainer's weight = ρ^rank × stake^β (ρ^rank in WAD, stake^β floored). */
export function trainerWeight(rank: number, stake: bigint, rhoWad: bigint, betaWad: bigint): bigint {
  return powWad(rhoWad, rank) * stakePower(stake, betaWad);
}

/** Per-submission ranks, weights and payouts of a task's trainer pool. */
export interface TrainerShares {
  ranks: number[];
  weights: bigint[];
  amounts: bigint[];
  dust: bigint;
}

/**
 * SPEC §2.1: rank by consensus score (best = rank 0, equal scores share a rank), then
 * share_i = ρ^rank_i · (own_i + delegated_i)^β / Σ_j ρ^rank_j · (own_j + delegated_j)^β, paid as
 * floor(pool · share_i); the floor remainder is returned as dust.
 */
export function trainerShares(
  pool: bigint,
  entries: readonly TrainerEntry[],
  direction: ScoreDirection,
  rhoWad: bigint = DEFAULT_RHO_WAD,
  betaWad: bigint = DEFAULT_BETA_WAD,
): TrainerShares {
  const rankOf = rankByScore(entries, direction);
  const ranks = entries.map((e) => rankOf.get(e.id)!);
  const weights = entries.map((e, i) => trainerWeight(ranks[i]!, e.stake, rhoWad, betaWad));
  const { amounts, dust } = distributeProRata(pool, weights);
  return { ranks, weights, amounts, dust };
}
