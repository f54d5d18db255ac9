import { type Static, Type } from "typebox";
import { Address, DateTime, Hex, Nullable } from "./primitives.ts";

/**
 * open → committed (score commitment) → reported (revealed); timed_out without a commitment by its deadline,
 * refused with a reason, unrevealed when committed and never revealed (SPEC §2.1 commit-reveal).
 */
export const ASSIGNMENT_STATUSES = [
  "open",
  "committed",
  "reported",
  "timed_out",
  "refused",
  "unrevealed",
] as const;
export const AssignmentStatus = Type.Enum(ASSIGNMENT_STATUSES, { type: "string" });
export type AssignmentStatus = Static<typeof AssignmentStatus>;

/** A validator drawn to score one submission. */
export const Assignment = Type.Object(
  {
    id: Type.Integer(),
    submissionId: Type.Integer(),
    validator: Address,
    seed: Type.String(),
    assignedAt: DateTime,
    deadline: DateTime,
    status: AssignmentStatus,
    reason: Nullable(Type.String()),
    /** The score commitment (core's scoreCommitment), once committed. */
    commitment: Nullable(Hex),
    committedAt: Nullable(DateTime),
  },
  { $id: "Assignment" },
);
export type Assignment = Static<typeof Assignment>;
