import type { Task, TaskFunding } from "@flock/store";
import { addressSchema, amountSchema, contentIdSchema, dateTimeSchema } from "../http/schemas.ts";

export const taskTypes = ["lm-lora", "lm-full", "classifier", "regressor"] as const;
export const taskStatuses = ["draft", "open", "validating", "finalized", "closed"] as const;

/** A task on the wire. The hidden validation set's id is never part of it. */
export const taskSchema = {
  type: "object",
  required: [
    "id",
    "title",
    "description",
    "type",
    "baseModel",
    "contextLength",
    "maxTrainableParams",
    "trainingSetId",
    "validationCommitment",
    "submissionDeadline",
    "endTime",
    "rewardWeight",
    "minStake",
    "minLockDays",
    "status",
    "creator",
    "createdAt",
  ],
  properties: {
    id: { type: "integer" },
    title: { type: "string" },
    description: { type: "string" },
    type: { type: "string", enum: taskTypes },
    baseModel: { type: "string" },
    contextLength: { type: "integer" },
    maxTrainableParams: { type: "integer" },
    trainingSetId: contentIdSchema,
    validationCommitment: contentIdSchema,
    submissionDeadline: dateTimeSchema,
    endTime: dateTimeSchema,
    rewardWeight: amountSchema,
    minStake: amountSchema,
    minLockDays: { type: "integer" },
    status: { type: "string", enum: taskStatuses },
    creator: addressSchema,
    createdAt: dateTimeSchema,
    // Funding terms (SPEC §3); absent on tasks created before they existed, which are paid by their weight.
    pool: amountSchema,
    approvedWeight: { type: ["string", "null"], pattern: "^[0-9]{1,78}$" },
    next: { type: "array", items: { type: "string" } },
  },
} as const;

export interface TaskJson {
  id: number;
  title: string;
  description: string;
  type: Task["type"];
  baseModel: string;
  contextLength: number;
  maxTrainableParams: number;
  trainingSetId: string;
  validationCommitment: string;
  submissionDeadline: string;
  endTime: string;
  rewardWeight: string;
  minStake: string;
  minLockDays: number;
  status: Task["status"];
  creator: string;
  createdAt: string;
  /** FLOCK base units the creator funds on-chain (RewardDistributor.fundTask) before the task opens. */
  pool?: string;
  /** The emission weight an operator approved; null until one does (the task is paid by its pool only). */
  approvedWeight?: string | null;
  /** For a draft: what its creator (or an operator) does next for it to open. */
  next?: string[];
}

/** What a draft waits for, in the order to do it. */
function nextSteps(task: Task, funding: TaskFunding): string[] {
  const steps: string[] = [];
  if (funding.pool > 0n) {
    steps.push(
      `fund its pool on-chain: RewardDistributor.fundTask(${task.id}, ${funding.pool}) (\`flock task fund ${task.id}\`)`,
    );
  }
  if (task.rewardWeight > 0n && funding.approvedWeight === null) {
    steps.push(
      `${funding.pool > 0n ? "to be paid from emission too" : "to open"}, an operator approves its weight: POST /tasks/${task.id}/approve (\`flock task approve ${task.id} --weight ${task.rewardWeight}\`)`,
    );
  }
  steps.push(`open it: POST /tasks/${task.id}/open (\`flock task open ${task.id}\`)`);
  return steps;
}

/** The wire form of a task: amounts as decimal strings, times as ISO 8601, its funding terms when it has them. */
export function taskJson(task: Task, funding?: TaskFunding): TaskJson {
  return {
    ...taskFields(task),
    ...(funding === undefined
      ? {}
      : {
          pool: funding.pool.toString(),
          approvedWeight: funding.approvedWeight?.toString() ?? null,
          ...(task.status === "draft" ? { next: nextSteps(task, funding) } : {}),
        }),
  };
}

function taskFields(task: Task): TaskJson {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    type: task.type,
    baseModel: task.baseModel,
    contextLength: task.contextLength,
    maxTrainableParams: task.maxTrainableParams,
    trainingSetId: task.trainingSetId,
    validationCommitment: task.validationCommitment,
    submissionDeadline: task.submissionDeadline.toISOString(),
    endTime: task.endTime.toISOString(),
    rewardWeight: task.rewardWeight.toString(),
    minStake: task.minStake.toString(),
    minLockDays: task.minLockDays,
    status: task.status,
    creator: task.creator,
    createdAt: task.createdAt.toISOString(),
  };
}
