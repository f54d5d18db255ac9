import { delegationPoolsAbi } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import type { Address, Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface DelegateParameters {
  /** The participant whose pool receives the delegation (it must have opened it with setSigma). */
  participant: Address;
  /** gmFLOCK base units; DelegationPools must be approved to spend them (approve token "gmFLOCK"). */
  amount: bigint;
}

export interface DelegateReturnType {
  /** The caller's delegation to this participant after the call. */
  delegation: bigint;
  /** Everything delegated to the participant's pool. */
  poolTotal: bigint;
  transactionHash: Hex;
}

/** Delegates gmFLOCK to a participant's pool. */
export async function delegate(
  client: FlockClient,
  parameters: DelegateParameters,
): Promise<DelegateReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const address = client.addresses.DelegationPools;
  const receipt = await submit(client, `delegate to ${parameters.participant}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: delegationPoolsAbi,
      functionName: "delegate",
      args: [parameters.participant, amount],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, delegationPoolsAbi, address, "Delegated");
  return {
    delegation: event.delegation,
    poolTotal: event.poolTotal,
    transactionHash: receipt.transactionHash,
  };
}
