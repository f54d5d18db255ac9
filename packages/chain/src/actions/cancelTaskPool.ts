import { rewardDistributorAbi } from "@flock/contracts";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface CancelTaskPoolParameters {
  taskId: bigint;
}

export interface CancelTaskPoolReturnType {
  /** What the pool held when it was cancelled: its funders take it back with refundTaskFunding. */
  poolTotal: bigint;
  transactionHash: Hex;
}

/**
 * The coordinator cancels the reward pool of a task that will never open (its creator cancelled the draft):
 * no epoch may draw from it any more and each funder may take back what it put in. The RewardDistributor refuses
 * a pool an epoch already drew from (`TASK_POOL_BOUND`) and one already cancelled (`TASK_POOL_CANCELLED`).
 */
export async function cancelTaskPool(
  client: FlockClient,
  parameters: CancelTaskPoolParameters,
): Promise<CancelTaskPoolReturnType> {
  const address = client.addresses.RewardDistributor;
  const receipt = await submit(client, `cancel the reward pool of task ${parameters.taskId}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: rewardDistributorAbi,
      functionName: "cancelTaskPool",
      args: [parameters.taskId],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, rewardDistributorAbi, address, "TaskPoolCancelled");
  return { poolTotal: event.poolTotal, transactionHash: receipt.transactionHash };
}
