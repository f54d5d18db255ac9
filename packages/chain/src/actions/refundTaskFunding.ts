import { rewardDistributorAbi } from "@flock/contracts";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface RefundTaskFundingParameters {
  taskId: bigint;
}

export interface RefundTaskFundingReturnType {
  /** FLOCK base units returned to the caller: exactly what it funded into the pool. */
  amount: bigint;
  transactionHash: Hex;
}

/**
 * A funder takes back what it put into a cancelled task's pool, once (`TASK_POOL_NOT_CANCELLED` before the cancel,
 * `NOTHING_TO_REFUND` for an account that funded nothing or was refunded already).
 */
export async function refundTaskFunding(
  client: FlockClient,
  parameters: RefundTaskFundingParameters,
): Promise<RefundTaskFundingReturnType> {
  const address = client.addresses.RewardDistributor;
  const receipt = await submit(client, `refund the funding of task ${parameters.taskId}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: rewardDistributorAbi,
      functionName: "refundTaskFunding",
      args: [parameters.taskId],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, rewardDistributorAbi, address, "TaskFundingRefunded");
  return { amount: event.amount, transactionHash: receipt.transactionHash };
}
