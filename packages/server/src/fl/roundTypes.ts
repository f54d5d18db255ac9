/** What a step of a round asks for next: another step at `at`, or nothing (the round ended). */
export type RoundStep = { at: Date } | null;

/** A voter's revealed vote, checked against its commitment. */
export interface RevealedVote {
  account: string;
  vote: 1 | -1;
  metrics: Record<string, number>;
  /** `contribution` pay rule: the loss of every model the round listed (content id → loss), as committed. */
  evaluations?: Record<string, number>;
}
