import { usageCreditsAbi } from "@flock/contracts";
import { assertAmount, ValidationError } from "@flock/core";
import { type Address, type Hex, isAddress } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

/** One account's usage charge of an epoch. */
export interface UsageCharge {
  account: Address;
  /** FLOCK base units; at most the account's credit balance, else the whole collection is CREDIT_INSUFFICIENT. */
  amount: bigint;
}

export interface CollectUsageParameters {
  epoch: bigint;
  /** At least one charge (an empty collection is USAGE_CHARGES_EMPTY). */
  charges: readonly UsageCharge[];
}

export interface CollectUsageReturnType {
  /** Σ charges: the FLOCK moved into the RewardDistributor, where it is unallocated until an epoch reserves it. */
  total: bigint;
  transactionHash: Hex;
  blockNumber: bigint;
}

/**
 * Collector (the coordinator): collects an epoch's usage charges from the accounts' prepaid balances into the
 * RewardDistributor, once per epoch (USAGE_ALREADY_COLLECTED the second time).
 */
export async function collectUsage(
  client: FlockClient,
  parameters: CollectUsageParameters,
): Promise<CollectUsageReturnType> {
  const accounts = parameters.charges.map((charge, i) => {
    if (!isAddress(charge.account)) {
      throw new ValidationError(
        "ADDRESS_MALFORMED",
        `charges[${i}].account ${String(charge.account)} is not an address`,
        {
          hint: "Charge accounts as 0x followed by 40 hex digits.",
        },
      );
    }
    return charge.account;
  });
  const amounts = parameters.charges.map((charge, i) => assertAmount(charge.amount, `charges[${i}].amount`));
  const address = client.addresses.UsageCredits;
  const receipt = await submit(client, `collect the usage of epoch ${parameters.epoch}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: usageCreditsAbi,
      functionName: "collect",
      args: [parameters.epoch, accounts, amounts],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, usageCreditsAbi, address, "UsageCollected");
  return { total: event.total, transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
}
