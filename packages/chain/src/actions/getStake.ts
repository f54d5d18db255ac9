import { taskStakingAbi } from "@flock/contracts";
import type { Address } from "viem";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";
import type { StakeRole } from "./stake.ts";

export interface GetStakeParameters {
  taskId: bigint;
  account: Address;
}

export interface GetStakeReturnType {
  /** null when the account never staked on the task. */
  role: StakeRole | null;
  /** gmFLOCK currently at stake (after slashes and withdrawals). */
  amount: bigint;
}

/** Reads an account's stake on a task. */
export async function getStake(
  reader: FlockReader,
  parameters: GetStakeParameters,
): Promise<GetStakeReturnType> {
  let fields: readonly [number, boolean, bigint, bigint];
  try {
    fields = await reader.publicClient.readContract({
      address: reader.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "stakes",
      args: [parameters.taskId, parameters.account],
    });
  } catch (error) {
    throw toChainError(error, `read the stake of ${parameters.account} on task ${parameters.taskId}`);
  }
  const [role, , amount] = fields;
  return { role: role === 1 ? "trainer" : role === 2 ? "validator" : null, amount };
}
