import { emissionAbi } from "@flock/contracts";
import type { Address, Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface MintEmissionReturnType {
  /** k: index of this mint (0 for the first). */
  mintIndex: bigint;
  /** min(E0·0.9^floor(k/30), cap − supply) FLOCK base units. */
  amount: bigint;
  /** Who received it (the reward distributor, normally). */
  recipient: Address;
  transactionHash: Hex;
}

/** Coordinator: mints the next daily emission (at most once per 12 hours). */
export async function mintEmission(client: FlockClient): Promise<MintEmissionReturnType> {
  const address = client.addresses.Emission;
  const receipt = await submit(client, "mint the daily emission", async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: emissionAbi,
      functionName: "mint",
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, emissionAbi, address, "Minted");
  return {
    mintIndex: event.mintIndex,
    amount: event.amount,
    recipient: event.recipient,
    transactionHash: receipt.transactionHash,
  };
}
