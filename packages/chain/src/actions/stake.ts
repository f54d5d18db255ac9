import { stakeRole, taskStakingAbi } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

/** A participant's part in a task: never both on one task [FLock]. */
export type StakeRole = "trainer" | "validator";

export interface StakeParameters {
  taskId: bigint;
  role: StakeRole;
  /** gmFLOCK base units; TaskStaking must be approved to spend them (approve token "gmFLOCK"). */
  amount: bigint;
  /** The caller's lock backing the stake: long enough for the task and holding at least the total stake. */
  lockId: bigint;
}

export interface StakeReturnType {
  /** The caller's total stake on the task after this one. */
  totalStake: bigint;
  transactionHash: Hex;
}

/** Stakes gmFLOCK on an open task as trainer or validator. */
export async function stake(client: FlockClient, parameters: StakeParameters): Promise<StakeReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const address = client.addresses.TaskStaking;
  const receipt = await submit(client, `stake on task ${parameters.taskId}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: taskStakingAbi,
      functionName: "stake",
      args: [parameters.taskId, stakeRole[parameters.role], amount, parameters.lockId],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, taskStakingAbi, address, "Staked");
  return { totalStake: event.totalStake, transactionHash: receipt.transactionHash };
}
