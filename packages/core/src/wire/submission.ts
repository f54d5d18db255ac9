import { type Static, Type } from "typebox";
import { Address, ContentId, DateTime, Nullable } from "./primitives.ts";

/**
 * committed (hash only) → uploaded → accepted | copy (SPEC §2.1: a copy is invalid and slashed); rejected when
 * never uploaded by the deadline; replaced when its trainer committed a new hash (never scored).
 */
export const SUBMISSION_STATUSES = [
  "committed",
  "uploaded",
  "accepted",
  "rejected",
  "copy",
  "replaced",
] as const;
export const SubmissionStatus = Type.Enum(SUBMISSION_STATUSES, { type: "string" });
export type SubmissionStatus = Static<typeof SubmissionStatus>;

/** A trainer's commit and, once uploaded, its artifact. */
export const Submission = Type.Object(
  {
    id: Type.Integer(),
    taskId: Type.Integer(),
    trainer: Address,
    commitHash: ContentId,
    committedAt: DateTime,
    artifactId: Nullable(ContentId),
    artifactSize: Nullable(Type.Integer()),
    uploadedAt: Nullable(DateTime),
    status: SubmissionStatus,
    reason: Nullable(Type.String()),
    copyOf: Nullable(Type.Integer()),
    /** For a replaced submission: the trainer's later commit that replaced it. */
    replacedBy: Nullable(Type.Integer()),
  },
  { $id: "Submission" },
);
export type Submission = Static<typeof Submission>;
