import type { wire } from "@flock/core";
import type { Submission } from "@flock/store";

/** The wire form of a submission (core's `wire.Submission`). */
export function submissionJson(submission: Submission): wire.Submission {
  return {
    id: submission.id,
    taskId: submission.taskId,
    trainer: submission.trainer as wire.Address,
    commitHash: submission.commitHash as wire.ContentId,
    committedAt: submission.committedAt.toISOString(),
    artifactId: submission.artifactId as wire.ContentId | null,
    artifactSize: submission.artifactSize,
    uploadedAt: submission.uploadedAt?.toISOString() ?? null,
    status: submission.status,
    reason: submission.reason,
    copyOf: submission.copyOf,
    replacedBy: submission.replacedBy,
  };
}
