import { flockTokenAbi, rewardDistributorAbi } from "@flock/contracts";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface GetRewardPoolParameters {
  /** Read the pool as it was at the end of this block (the latest block by default). */
  blockNumber?: bigint;
}

/**
 * The RewardDistributor's FLOCK, in base units, all read at one block; `balance ≥ outstanding + pooled`
 * always.
 */
export interface GetRewardPoolReturnType {
  /** FLOCK the RewardDistributor holds. */
  balance: bigint;
  /** What posted epochs still owe: Σ their totals − Σ gross amounts claimed. */
  outstanding: bigint;
  /** Σ of the creator-funded task pools (fundTask) not yet drawn: held here, but not emission. */
  pooled: bigint;
  /**
   * balance − outstanding − pooled: emission no posted epoch has promised yet, what the next epoch may pay at
   * most beyond its tasks' own pools.
   */
  unallocated: bigint;
}

/**
 * Reads the reward pool: the distributor's FLOCK, what posted epochs still owe, what task pools hold, and the
 * emission left to promise.
 */
export async function getRewardPool(
  reader: FlockReader,
  parameters: GetRewardPoolParameters = {},
): Promise<GetRewardPoolReturnType> {
  const { publicClient, addresses } = reader;
  const at = parameters.blockNumber === undefined ? "" : ` at block ${parameters.blockNumber}`;
  try {
    // Both values come from the same block, so a post or claim in between cannot split them.
    const blockNumber = parameters.blockNumber ?? (await publicClient.getBlockNumber({ cacheTime: 0 }));
    const [balance, outstanding, pooled] = await Promise.all([
      publicClient.readContract({
        address: addresses.FlockToken,
        abi: flockTokenAbi,
        functionName: "balanceOf",
        args: [addresses.RewardDistributor],
        blockNumber,
      }),
      publicClient.readContract({
        address: addresses.RewardDistributor,
        abi: rewardDistributorAbi,
        functionName: "outstanding",
        blockNumber,
      }),
      publicClient.readContract({
        address: addresses.RewardDistributor,
        abi: rewardDistributorAbi,
        functionName: "pooledTotal",
        blockNumber,
      }),
    ]);
    return { balance, outstanding, pooled, unallocated: balance - outstanding - pooled };
  } catch (error) {
    throw toChainError(error, `read the reward pool${at}`);
  }
}
