import { type Static, Type } from "typebox";
import { Address, Amount, ContentId, DateTime, FixedPointScore } from "./primitives.ts";
import { TaskType } from "./task.ts";

/**
 * The bodies participants send (POST routes with JSON): the coordinator validates requests against these schemas
 * and names them in its OpenAPI document; the SDK builds what it sends as their types. Every object is closed
 * (`additionalProperties: false`) and every integer bounded, so nothing the database cannot hold gets through.
 * Routes not listed take no body (`POST /tasks/:id/open`, `POST /admin/jobs/:id/retry`) or raw bytes (the
 * `PUT` uploads, `application/octet-stream`).
 */

/** PostgreSQL `integer` (int4), the type of every id and count column. */
const INT4_MAX = 2_147_483_647;
/** A row id in a request (a submission, …). */
const RowId = Type.Integer({ minimum: 1, maximum: INT4_MAX });

/** `POST /tasks`: what a creator posts (amounts as decimal strings of base units). */
export const CreateTaskRequest = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.String({ maxLength: 10_000 }),
    type: TaskType,
    baseModel: ContentId,
    contextLength: Type.Integer({ minimum: 1, maximum: INT4_MAX }),
    // An int8 column, read back as a JS number: at most 2^53 − 1, so the value read is the value stored.
    maxTrainableParams: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    trainingSetId: ContentId,
    /** The sha256 content id of the hidden validation set (uploaded later, revealed after finalization). */
    validationCommitment: ContentId,
    submissionDeadline: DateTime,
    endTime: DateTime,
    /** The emission weight asked for (≤ 1,000,000, protocol MAX_TASK_WEIGHT): paid once an operator approves it. */
    rewardWeight: Amount,
    /** FLOCK base units the creator funds on-chain (RewardDistributor.fundTask) before the task opens. */
    pool: Type.Optional(Amount),
    minStake: Amount,
    minLockDays: Type.Integer({ minimum: 0, maximum: 365 }),
  },
  { $id: "CreateTaskRequest", additionalProperties: false },
);
export type CreateTaskRequest = Static<typeof CreateTaskRequest>;

/** `POST /tasks/:id/approve`: the emission weight an operator approves. */
export const ApproveTaskRequest = Type.Object(
  { weight: Amount },
  { $id: "ApproveTaskRequest", additionalProperties: false },
);
export type ApproveTaskRequest = Static<typeof ApproveTaskRequest>;

/** `POST /tasks/:id/submissions`: a trainer commits to its artifact's content id. */
export const CommitSubmissionRequest = Type.Object(
  { commitHash: ContentId },
  { $id: "CommitSubmissionRequest", additionalProperties: false },
);
export type CommitSubmissionRequest = Static<typeof CommitSubmissionRequest>;

/** `POST /assignments/:id/refuse`: the reason recorded with a refusal. */
export const RefuseAssignmentRequest = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000 }) },
  { $id: "RefuseAssignmentRequest", additionalProperties: false },
);
export type RefuseAssignmentRequest = Static<typeof RefuseAssignmentRequest>;

/** `POST /assignments/:id/commitment`: core's `scoreCommitment(assignmentId, score, salt)`. */
export const ScoreCommitmentRequest = Type.Object(
  { commitment: Type.Unsafe<`0x${string}`>(Type.String({ pattern: "^0x[0-9a-f]{64}$" })) },
  { $id: "ScoreCommitmentRequest", additionalProperties: false },
);
export type ScoreCommitmentRequest = Static<typeof ScoreCommitmentRequest>;

/** `POST /assignments/:id/reveal`: the committed score, its salt and the evaluation's evidence. */
export const ScoreRevealRequest = Type.Object(
  {
    /** Fixed point, 1e18 = 1.0, signed (protocol's scoreFromMetric, or scoreOrWorst for +∞). */
    score: FixedPointScore,
    salt: Type.String({ pattern: "^0x[0-9a-f]{32,128}$" }),
    evidence: Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true })),
  },
  { $id: "ScoreRevealRequest", additionalProperties: false },
);
export type ScoreRevealRequest = Static<typeof ScoreRevealRequest>;

/** `POST /disputes`: the (submission, validator) pair whose score or refusal is to be re-run. */
export const DisputeRequest = Type.Object(
  { submissionId: RowId, validator: Address },
  { $id: "DisputeRequest", additionalProperties: false },
);
export type DisputeRequest = Static<typeof DisputeRequest>;
