import { usageCreditsAbi } from "@flock/contracts";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface IsUsageCollectedParameters {
  epoch: bigint;
}

/** Whether an epoch's usage was collected on-chain (UsageCredits collects each epoch at most once). */
export async function isUsageCollected(
  reader: FlockReader,
  parameters: IsUsageCollectedParameters,
): Promise<boolean> {
  try {
    return await reader.publicClient.readContract({
      address: reader.addresses.UsageCredits,
      abi: usageCreditsAbi,
      functionName: "collected",
      args: [parameters.epoch],
    });
  } catch (error) {
    throw toChainError(error, `read whether the usage of epoch ${parameters.epoch} was collected`);
  }
}
