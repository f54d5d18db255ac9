import { delegationPoolsAbi } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import type { Address, Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface UndelegateParameters {
  participant: Address;
  /** gmFLOCK base units to take back, at most what the caller delegated to this participant. */
  amount: bigint;
}

export interface UndelegateReturnType {
  /** The caller's remaining delegation to this participant. */
  delegation: bigint;
  poolTotal: bigint;
  transactionHash: Hex;
}

/** Takes back gmFLOCK delegated to a participant. */
export async function undelegate(
  client: FlockClient,
  parameters: UndelegateParameters,
): Promise<UndelegateReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const address = client.addresses.DelegationPools;
  const receipt = await submit(client, `undelegate from ${parameters.participant}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: delegationPoolsAbi,
      functionName: "undelegate",
      args: [parameters.participant, amount],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, delegationPoolsAbi, address, "Undelegated");
  return {
    delegation: event.delegation,
    poolTotal: event.poolTotal,
    transactionHash: receipt.transactionHash,
  };
}
