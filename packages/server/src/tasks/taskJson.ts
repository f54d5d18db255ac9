import type { Task } from "@flock/store";
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
}

/** The wire form of a task: amounts as decimal strings, times as ISO 8601. */
export function taskJson(task: Task): TaskJson {
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
