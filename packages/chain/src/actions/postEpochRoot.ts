import { rewardDistributorAbi } from "@flock/contracts";
import { assertAmount, ValidationError } from "@flock/core";
import { type Hex, isHex, size } from "viem";
import type { FlockClient } from "../client.ts";
import { submit } from "../submit.ts";

export interface PostEpochRootParameters {
  epoch: bigint;
  /** Root of the liquid reward tree (0x00…00 when it is empty). */
  liquidRoot: Hex;
  /** Root of the vesting reward tree (0x00…00 when it is empty). */
  vestingRoot: Hex;
  /** sha256 of the epoch report's canonical JSON, as bytes32. */
  reportHash: Hex;
  /**
   * Sum of every leaf amount of both trees, in base units: the FLOCK the epoch reserves in the
   * RewardDistributor and the most its claims can ever pay (0 with two empty trees).
   */
  total: bigint;
  /**
   * How much of `total` each creator-funded task pool pays (fundTask); the rest is the emission part, which
   * must fit in the unallocated FLOCK. Empty for an epoch paid from emission only.
   */
  pools?: readonly TaskPoolDraw[];
}

/** A draw from one task's own pool in the RewardDistributor. */
export interface TaskPoolDraw {
  taskId: bigint;
  /** FLOCK base units; at most what the pool holds (getTaskPool), else TASK_POOL_INSUFFICIENT. */
  amount: bigint;
}

export interface PostEpochRootReturnType {
  transactionHash: Hex;
  blockNumber: bigint;
}

function assertBytes32(value: Hex, name: string): void {
  if (!isHex(value) || size(value) !== 32) {
    throw new ValidationError("BYTES32_INVALID", `${name} ${String(value)} is not a 32-byte hex value`, {
      hint: `Pass ${name} as 0x followed by 64 hex digits.`,
    });
  }
}

/**
 * Coordinator: posts an epoch's report hash and reward Merkle roots with their total, once per epoch, drawing
 * `pools` from creator-funded task pools. The RewardDistributor's unallocated FLOCK (see getRewardPool) must
 * cover the rest of the total, else REWARDS_INSUFFICIENT.
 */
export async function postEpochRoot(
  client: FlockClient,
  parameters: PostEpochRootParameters,
): Promise<PostEpochRootReturnType> {
  assertBytes32(parameters.liquidRoot, "liquidRoot");
  assertBytes32(parameters.vestingRoot, "vestingRoot");
  assertBytes32(parameters.reportHash, "reportHash");
  const total = assertAmount(parameters.total, "total");
  const pools = parameters.pools ?? [];
  const poolTaskIds = pools.map((draw) => draw.taskId);
  const poolAmounts = pools.map((draw, i) => assertAmount(draw.amount, `pools[${i}].amount`));
  const receipt = await submit(client, `post the roots of epoch ${parameters.epoch}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: client.addresses.RewardDistributor,
      abi: rewardDistributorAbi,
      functionName: "postEpochRoot",
      args: [
        parameters.epoch,
        parameters.liquidRoot,
        parameters.vestingRoot,
        parameters.reportHash,
        total,
        poolTaskIds,
        poolAmounts,
      ],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
}
