import { flockTokenAbi } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import type { Address, Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { submit } from "../submit.ts";

export interface TransferFlockParameters {
  to: Address;
  amount: bigint;
}

export interface TransferFlockReturnType {
  transactionHash: Hex;
}

/** Sends FLOCK (gmFLOCK is not transferable between accounts). */
export async function transferFlock(
  client: FlockClient,
  parameters: TransferFlockParameters,
): Promise<TransferFlockReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const receipt = await submit(client, "transfer FLOCK", async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: client.addresses.FlockToken,
      abi: flockTokenAbi,
      functionName: "transfer",
      args: [parameters.to, amount],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash };
}
