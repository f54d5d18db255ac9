import { type Static, Type } from "typebox";
import { Address, FixedPointScore, Nullable } from "./primitives.ts";

/** One accepted submission on a task's leaderboard; rank and score stay null until the reveals close. */
export const LeaderboardEntry = Type.Object(
  {
    /** 0 is the best. */
    rank: Nullable(Type.Integer()),
    submissionId: Type.Integer(),
    trainer: Address,
    /** The stake-weighted median of the revealed scores, or the referee's re-run that replaced it. */
    consensusScore: Nullable(FixedPointScore),
    reports: Type.Integer(),
  },
  { $id: "LeaderboardEntry" },
);
export type LeaderboardEntry = Static<typeof LeaderboardEntry>;

/** `GET /tasks/:id/leaderboard`. */
export const Leaderboard = Type.Object(
  { taskId: Type.Integer(), items: Type.Array(LeaderboardEntry) },
  { $id: "Leaderboard" },
);
export type Leaderboard = Static<typeof Leaderboard>;
