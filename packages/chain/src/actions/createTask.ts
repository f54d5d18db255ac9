import { taskStakingAbi } from "@flock/contracts";
import { assertAmount, ValidationError } from "@flock/core";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { submit } from "../submit.ts";

export interface CreateTaskParameters {
  taskId: bigint;
  /**
   * Minimum total gmFLOCK stake of one participant (3000 gmFLOCK on FLock); at least the network floor
   * (getMinStakeFloor), else STAKE_BELOW_FLOOR.
   */
  minStake: bigint;
  /** Minimum duration in days of the lock backing a stake. */
  minLockDays: number;
  /**
   * Unix seconds: staking closes here and the stakes that count are frozen (SPEC §2.1); at most `endTime`.
   */
  submissionDeadline: bigint;
  /** Planned end, unix seconds: σ of pools staking here freezes around it. */
  endTime: bigint;
  /** Seconds after closing during which stakes stay slashable and cannot be withdrawn. */
  disputeWindowSec: bigint;
}

export interface CreateTaskReturnType {
  transactionHash: Hex;
}

/** Coordinator: registers an open task whose stakes are taken until its submission deadline. */
export async function createTask(
  client: FlockClient,
  parameters: CreateTaskParameters,
): Promise<CreateTaskReturnType> {
  const minStake = assertAmount(parameters.minStake, "minStake");
  if (!Number.isInteger(parameters.minLockDays) || parameters.minLockDays < 0) {
    throw new ValidationError(
      "TASK_MIN_LOCK_INVALID",
      `minimum lock ${parameters.minLockDays} is not a whole number of days`,
      {
        hint: "Give the minimum lock in whole days.",
      },
    );
  }
  if (parameters.submissionDeadline > parameters.endTime) {
    throw new ValidationError(
      "TASK_DEADLINE_AFTER_END",
      `the submission deadline ${parameters.submissionDeadline} is after the task's end ${parameters.endTime}`,
      { hint: "Give a submission deadline at or before the end time." },
    );
  }
  const receipt = await submit(client, `create task ${parameters.taskId}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: client.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "createTask",
      args: [
        parameters.taskId,
        minStake,
        parameters.minLockDays,
        parameters.submissionDeadline,
        parameters.endTime,
        parameters.disputeWindowSec,
      ],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash };
}
