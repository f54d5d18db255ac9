import { rewardDistributorAbi } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";
import { approve } from "./approve.ts";

export interface FundTaskParameters {
  taskId: bigint;
  /** FLOCK base units moved from the caller's wallet into the task's reward pool. */
  amount: bigint;
}

export interface FundTaskReturnType {
  /** What the task's pool holds after this funding. */
  poolTotal: bigint;
  transactionHash: Hex;
}

/**
 * A task creator (or anyone) funds a task's own reward pool in the RewardDistributor (SPEC §3): approves the
 * distributor for `amount` FLOCK, then funds. The FLOCK leaves the pool only through epochs the coordinator
 * posts for the task; nobody can withdraw it.
 */
export async function fundTask(
  client: FlockClient,
  parameters: FundTaskParameters,
): Promise<FundTaskReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  await approve(client, { token: "FLOCK", spender: "RewardDistributor", amount });
  const address = client.addresses.RewardDistributor;
  const receipt = await submit(client, `fund the reward pool of task ${parameters.taskId}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: rewardDistributorAbi,
      functionName: "fundTask",
      args: [parameters.taskId, amount],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, rewardDistributorAbi, address, "TaskFunded");
  return { poolTotal: event.poolTotal, transactionHash: receipt.transactionHash };
}
