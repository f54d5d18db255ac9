import { usageCreditsAbi } from "@flock/contracts";
import type { Address } from "viem";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface CreditBalanceOfParameters {
  account: Address;
  /** Read as at the end of this block (the latest block by default). */
  blockNumber?: bigint;
}

/** An account's usage credit in the UsageCredits contract, read at one block. */
export interface CreditBalanceOfReturnType {
  /** FLOCK base units deposited and not yet withdrawn or collected. */
  balance: bigint;
  /** Requested for withdrawal (0 without a request). */
  pendingWithdrawal: bigint;
  /** Unix seconds from which the request may be withdrawn; null without a request. */
  availableAt: bigint | null;
}

/** Reads an account's usage-credit balance and pending withdrawal request. */
export async function creditBalanceOf(
  reader: FlockReader,
  parameters: CreditBalanceOfParameters,
): Promise<CreditBalanceOfReturnType> {
  const { publicClient, addresses } = reader;
  try {
    const blockNumber = parameters.blockNumber ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
    const [balance, [pendingWithdrawal, availableAt]] = await Promise.all([
      publicClient.readContract({
        address: addresses.UsageCredits,
        abi: usageCreditsAbi,
        functionName: "balanceOf",
        args: [parameters.account],
        blockNumber,
      }),
      publicClient.readContract({
        address: addresses.UsageCredits,
        abi: usageCreditsAbi,
        functionName: "withdrawalRequests",
        args: [parameters.account],
        blockNumber,
      }),
    ]);
    return { balance, pendingWithdrawal, availableAt: pendingWithdrawal === 0n ? null : availableAt };
  } catch (error) {
    throw toChainError(error, `read the usage credit of ${parameters.account}`);
  }
}
