import type { Assignment } from "@flock/store";
import { addressSchema, dateTimeSchema } from "../http/schemas.ts";

export const assignmentSchema = {
  type: "object",
  required: ["id", "submissionId", "validator", "seed", "assignedAt", "deadline", "status"],
  properties: {
    id: { type: "integer" },
    submissionId: { type: "integer" },
    validator: addressSchema,
    seed: { type: "string" },
    assignedAt: dateTimeSchema,
    deadline: dateTimeSchema,
    status: {
      type: "string",
      enum: ["open", "committed", "reported", "timed_out", "refused", "unrevealed"],
    },
    reason: { type: ["string", "null"] },
    commitment: { type: ["string", "null"] },
    committedAt: { type: ["string", "null"], format: "date-time" },
  },
} as const;

export interface AssignmentJson {
  id: number;
  submissionId: number;
  validator: string;
  seed: string;
  assignedAt: string;
  deadline: string;
  status: Assignment["status"];
  reason: string | null;
  commitment: string | null;
  committedAt: string | null;
}

/** The wire form of an assignment. */
export function assignmentJson(assignment: Assignment): AssignmentJson {
  return {
    id: assignment.id,
    submissionId: assignment.submissionId,
    validator: assignment.validator,
    seed: assignment.seed,
    assignedAt: assignment.assignedAt.toISOString(),
    deadline: assignment.deadline.toISOString(),
    status: assignment.status,
    reason: assignment.reason,
    commitment: assignment.commitment,
    committedAt: assignment.committedAt?.toISOString() ?? null,
  };
}
