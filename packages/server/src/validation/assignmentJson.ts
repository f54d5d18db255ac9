import type { wire } from "@flock/core";
import type { Assignment } from "@flock/store";

/** The wire form of an assignment (core's `wire.Assignment`). */
export function assignmentJson(assignment: Assignment): wire.Assignment {
  return {
    id: assignment.id,
    submissionId: assignment.submissionId,
    validator: assignment.validator as wire.Address,
    seed: assignment.seed,
    assignedAt: assignment.assignedAt.toISOString(),
    deadline: assignment.deadline.toISOString(),
    status: assignment.status,
    reason: assignment.reason,
    commitment: assignment.commitment as wire.Hex | null,
    committedAt: assignment.committedAt?.toISOString() ?? null,
  };
}
