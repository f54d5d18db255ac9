import { usageCreditsAbi } from "@flock/contracts";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface WithdrawCreditsReturnType {
  /** FLOCK paid to the wallet: min(requested, balance). */
  amount: bigint;
  /** The credit balance left. */
  balance: bigint;
  transactionHash: Hex;
}

/**
 * Withdraws the requested usage credit once its delay has passed; refused before with
 * CREDIT_WITHDRAWAL_NOT_READY (the message says when), and without a request with CREDIT_WITHDRAWAL_NOT_REQUESTED.
 */
export async function withdrawCredits(client: FlockClient): Promise<WithdrawCreditsReturnType> {
  const address = client.addresses.UsageCredits;
  const receipt = await submit(client, "withdraw usage credit", async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: usageCreditsAbi,
      functionName: "withdraw",
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, usageCreditsAbi, address, "CreditWithdrawn");
  return { amount: event.amount, balance: event.balance, transactionHash: receipt.transactionHash };
}
