import { type Static, Type } from "typebox";
import { Address, Amount, ContentId, DateTime, Nullable } from "./primitives.ts";

/**
 * The task types of SPEC §2.1: LoRA and full fine-tunes of a language model (scored in BPC), MLP classifiers
 * (log-loss) and regressors (RMSE).
 */
export const TASK_TYPES = ["lm-lora", "lm-full", "classifier", "regressor"] as const;
export const TaskType = Type.Enum(TASK_TYPES, { type: "string" });
export type TaskType = Static<typeof TaskType>;

/**
 * draft (waits for funding) → open → validating (after the deadline) → finalized → closed (settled); a draft its
 * creator withdraws before it opens is `cancelled` (its funded pool refunded).
 */
export const TASK_STATUSES = ["draft", "open", "validating", "finalized", "closed", "cancelled"] as const;
export const TaskStatus = Type.Enum(TASK_STATUSES, { type: "string" });
export type TaskStatus = Static<typeof TaskStatus>;

/** A task as the coordinator serves it. The hidden validation set's id is never part of it. */
export const Task = Type.Object(
  {
    id: Type.Integer(),
    title: Type.String(),
    description: Type.String(),
    type: TaskType,
    baseModel: Type.String(),
    contextLength: Type.Integer(),
    maxTrainableParams: Type.Integer(),
    trainingSetId: ContentId,
    validationCommitment: ContentId,
    submissionDeadline: DateTime,
    endTime: DateTime,
    /** The emission weight asked for; paid once an operator approves it. */
    rewardWeight: Amount,
    minStake: Amount,
    minLockDays: Type.Integer(),
    status: TaskStatus,
    creator: Address,
    createdAt: DateTime,
    // Funding terms (SPEC §3); absent on tasks created before they existed, which are paid by their weight.
    /** FLOCK base units the creator funds on-chain (RewardDistributor.fundTask) before the task opens. */
    pool: Type.Optional(Amount),
    /** The emission weight an operator approved; null until one does (the task is paid by its pool only). */
    approvedWeight: Type.Optional(Nullable(Amount)),
    /** For a draft: what its creator (or an operator) does next for it to open. */
    next: Type.Optional(Type.Array(Type.String())),
  },
  { $id: "Task" },
);
export type Task = Static<typeof Task>;
