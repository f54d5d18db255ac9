import { taskStakingAbi } from "@flock/contracts";
import type { Address } from "viem";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface GetSnapshotStakeParameters {
  taskId: bigint;
  account: Address;
}

/**
 * gmFLOCK base units the account held on the task at its submission deadline: the stake that counts for the
 * task's scores and rewards (SPEC §2.1). Before the deadline, the current stake.
 */
export type GetSnapshotStakeReturnType = bigint;

/** Reads an account's stake on a task as frozen at the task's submission deadline. */
export async function getSnapshotStake(
  reader: FlockReader,
  parameters: GetSnapshotStakeParameters,
): Promise<GetSnapshotStakeReturnType> {
  try {
    return await reader.publicClient.readContract({
      address: reader.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "snapshotStakeOf",
      args: [parameters.taskId, parameters.account],
    });
  } catch (error) {
    throw toChainError(error, `read the frozen stake of ${parameters.account} on task ${parameters.taskId}`);
  }
}
