import { rewardDistributorAbi } from "@flock/contracts";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface GetTaskPoolParameters {
  taskId: bigint;
  /** Read the pool as it was at the end of this block (the latest block by default). */
  blockNumber?: bigint;
}

/** FLOCK base units the task's own reward pool holds: funded with fundTask, not yet drawn by a posted epoch. */
export type GetTaskPoolReturnType = bigint;

/** Reads a task's creator-funded reward pool in the RewardDistributor. */
export async function getTaskPool(
  reader: FlockReader,
  parameters: GetTaskPoolParameters,
): Promise<GetTaskPoolReturnType> {
  try {
    return await reader.publicClient.readContract({
      address: reader.addresses.RewardDistributor,
      abi: rewardDistributorAbi,
      functionName: "taskPool",
      args: [parameters.taskId],
      ...(parameters.blockNumber === undefined ? {} : { blockNumber: parameters.blockNumber }),
    });
  } catch (error) {
    throw toChainError(error, `read the reward pool of task ${parameters.taskId}`);
  }
}
