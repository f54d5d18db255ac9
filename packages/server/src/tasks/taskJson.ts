import { wire } from "@flock/core";
import type { Task, TaskFunding } from "@flock/store";

export const taskTypes = wire.TASK_TYPES;
export const taskStatuses = wire.TASK_STATUSES;

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
export function taskJson(task: Task, funding?: TaskFunding): wire.Task {
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

function taskFields(task: Task): wire.Task {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    type: task.type,
    baseModel: task.baseModel,
    contextLength: task.contextLength,
    maxTrainableParams: task.maxTrainableParams,
    trainingSetId: task.trainingSetId as wire.ContentId,
    validationCommitment: task.validationCommitment as wire.ContentId,
    submissionDeadline: task.submissionDeadline.toISOString(),
    endTime: task.endTime.toISOString(),
    rewardWeight: task.rewardWeight.toString(),
    minStake: task.minStake.toString(),
    minLockDays: task.minLockDays,
    status: task.status,
    creator: task.creator as wire.Address,
    createdAt: task.createdAt.toISOString(),
  };
}
