import { rankByScore, scoreDirectionOf, stakeWeightedMedian } from "@flock/protocol";
import type { RefereedScore, Submission, Task, TaskScore } from "@flock/store";
import { scoresRevealed } from "../validation/scoreWindows.ts";

export interface LeaderboardEntry {
  rank: number | null;
  submissionId: number;
  trainer: string;
  /**
   * Stake-weighted median of the validators' scores (κ = 0.5), or the referee's re-run when a dispute
   * replaced it, fixed point; null before any score and until the reveals close.
   */
  consensusScore: bigint | null;
  /** Revealed scores; 0 until the reveals close. */
  reports: number;
}

/**
 * A task's leaderboard (pure): each accepted submission's consensus score — the same stake-weighted median
 * the epoch uses, or the refereed re-run that replaced it — ranked in the task's metric direction; unscored
 * submissions last, unranked. Until the reveals close (SPEC §2.1: nothing of other scores or the consensus
 * is visible before) it lists the submissions only, without scores or ranks, so a lazy validator has
 * nothing to copy.
 */
export function leaderboard(
  task: Task,
  submissions: readonly Submission[],
  scores: readonly TaskScore[],
  stakes: readonly { account: string; amount: bigint }[],
  refereed: ReadonlyMap<number, RefereedScore> = new Map(),
): LeaderboardEntry[] {
  if (!scoresRevealed(task)) {
    return submissions
      .filter((s) => s.status === "accepted")
      .map((s) => ({ rank: null, submissionId: s.id, trainer: s.trainer, consensusScore: null, reports: 0 }));
  }
  const stakeOf = new Map(stakes.map((s) => [s.account, s.amount]));
  const direction = scoreDirectionOf(task.type);
  const entries = submissions
    .filter((s) => s.status === "accepted")
    .map((submission) => {
      const own = scores.filter((s) => s.submissionId === submission.id);
      const staked = own.map((s) => ({ score: s.score, stake: stakeOf.get(s.validator) ?? 0n }));
      const median = staked.some((s) => s.stake > 0n) ? stakeWeightedMedian(staked, direction) : null;
      // The referee's re-run is the truth (SPEC §2.1): it replaces a disputed consensus.
      const consensusScore = refereed.get(submission.id)?.score ?? median;
      return {
        submissionId: submission.id,
        trainer: submission.trainer,
        consensusScore,
        reports: own.length,
      };
    });
  const ranks = rankByScore(
    entries
      .filter((e) => e.consensusScore !== null)
      .map((e) => ({ id: String(e.submissionId), score: e.consensusScore! })),
    direction,
  );
  return entries
    .map((e) => ({ ...e, rank: ranks.get(String(e.submissionId)) ?? null }))
    .sort(
      (a, b) =>
        (a.rank ?? Number.MAX_SAFE_INTEGER) - (b.rank ?? Number.MAX_SAFE_INTEGER) ||
        a.submissionId - b.submissionId,
    );
}
