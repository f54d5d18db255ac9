import { usageCreditsAbi } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface RequestCreditWithdrawalParameters {
  /** FLOCK base units to withdraw later (at most the credit balance); 0 cancels the pending request. */
  amount: bigint;
}

export interface RequestCreditWithdrawalReturnType {
  amount: bigint;
  /** Unix seconds from which withdrawCredits pays it; 0 when the request was cancelled. */
  availableAt: bigint;
  transactionHash: Hex;
}

/**
 * Asks to withdraw usage credit after the contract's withdrawal delay; replaces any earlier request (and
 * restarts the delay). The coordinator stops serving against the requested amount at once.
 */
export async function requestCreditWithdrawal(
  client: FlockClient,
  parameters: RequestCreditWithdrawalParameters,
): Promise<RequestCreditWithdrawalReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const address = client.addresses.UsageCredits;
  const action = amount === 0n ? "cancel the usage-credit withdrawal" : "request a usage-credit withdrawal";
  const receipt = await submit(client, action, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: usageCreditsAbi,
      functionName: "requestWithdrawal",
      args: [amount],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, usageCreditsAbi, address, "CreditWithdrawalRequested");
  return { amount: event.amount, availableAt: event.availableAt, transactionHash: receipt.transactionHash };
}
