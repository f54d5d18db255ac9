import type { Submission } from "@flock/store";
import { addressSchema, contentIdSchema, dateTimeSchema } from "../http/schemas.ts";

export const submissionSchema = {
  type: "object",
  required: ["id", "taskId", "trainer", "commitHash", "committedAt", "status"],
  properties: {
    id: { type: "integer" },
    taskId: { type: "integer" },
    trainer: addressSchema,
    commitHash: contentIdSchema,
    committedAt: dateTimeSchema,
    artifactId: { type: ["string", "null"], pattern: contentIdSchema.pattern },
    artifactSize: { type: ["integer", "null"] },
    uploadedAt: { type: ["string", "null"], format: "date-time" },
    status: {
      type: "string",
      enum: ["committed", "uploaded", "accepted", "rejected", "copy", "replaced"],
    },
    reason: { type: ["string", "null"] },
    copyOf: { type: ["integer", "null"] },
    replacedBy: { type: ["integer", "null"] },
  },
} as const;

export interface SubmissionJson {
  id: number;
  taskId: number;
  trainer: string;
  commitHash: string;
  committedAt: string;
  artifactId: string | null;
  artifactSize: number | null;
  uploadedAt: string | null;
  status: Submission["status"];
  reason: string | null;
  copyOf: number | null;
  replacedBy: number | null;
}

/** The wire form of a submission. */
export function submissionJson(submission: Submission): SubmissionJson {
  return {
    id: submission.id,
    taskId: submission.taskId,
    trainer: submission.trainer,
    commitHash: submission.commitHash,
    committedAt: submission.committedAt.toISOString(),
    artifactId: submission.artifactId,
    artifactSize: submission.artifactSize,
    uploadedAt: submission.uploadedAt?.toISOString() ?? null,
    status: submission.status,
    reason: submission.reason,
    copyOf: submission.copyOf,
    replacedBy: submission.replacedBy,
  };
}
