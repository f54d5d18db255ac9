import { taskStakingAbi } from "@flock/contracts";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface WithdrawStakeParameters {
  taskId: bigint;
}

export interface WithdrawStakeReturnType {
  /** gmFLOCK returned: the whole remaining stake. */
  amount: bigint;
  transactionHash: Hex;
}

/** Takes back the caller's whole stake once the task is closed and its dispute window has passed. */
export async function withdrawStake(
  client: FlockClient,
  parameters: WithdrawStakeParameters,
): Promise<WithdrawStakeReturnType> {
  const address = client.addresses.TaskStaking;
  const receipt = await submit(client, `withdraw the stake on task ${parameters.taskId}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: taskStakingAbi,
      functionName: "withdraw",
      args: [parameters.taskId],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, taskStakingAbi, address, "Withdrawn");
  return { amount: event.amount, transactionHash: receipt.transactionHash };
}
