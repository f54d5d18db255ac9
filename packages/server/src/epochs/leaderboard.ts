import { rankByScore, scoreDirectionOf, stakeWeightedMedian } from "@flock/protocol";
import type { Stake, Submission, Task, TaskScore } from "@flock/store";

export interface LeaderboardEntry {
  rank: number | null;
  submissionId: number;
  trainer: string;
  /** Stake-weighted median of the validators' scores (κ = 0.5), fixed point; null before any score. */
  consensusScore: bigint | null;
  reports: number;
}

/**
 * A task's leaderboard (pure): each accepted submission's consensus score — the same stake-weighted median
 * the epoch uses — ranked in the task's metric direction; unscored submissions last, unranked.
 */
export function leaderboard(
  task: Task,
  submissions: readonly Submission[],
  scores: readonly TaskScore[],
  stakes: readonly Stake[],
): LeaderboardEntry[] {
  const stakeOf = new Map(stakes.map((s) => [s.account, s.amount]));
  const direction = scoreDirectionOf(task.type);
  const entries = submissions
    .filter((s) => s.status === "accepted")
    .map((submission) => {
      const own = scores.filter((s) => s.submissionId === submission.id);
      const consensusScore =
        own.length === 0
          ? null
          : stakeWeightedMedian(
              own.map((s) => ({ score: s.score, stake: stakeOf.get(s.validator) ?? 0n })),
              direction,
            );
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
