import { rewardDistributorAbi } from "@flock/contracts";
import { ValidationError } from "@flock/core";
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

/** Coordinator: posts an epoch's report hash and reward Merkle roots, once per epoch. */
export async function postEpochRoot(
  client: FlockClient,
  parameters: PostEpochRootParameters,
): Promise<PostEpochRootReturnType> {
  assertBytes32(parameters.liquidRoot, "liquidRoot");
  assertBytes32(parameters.vestingRoot, "vestingRoot");
  assertBytes32(parameters.reportHash, "reportHash");
  const receipt = await submit(client, `post the roots of epoch ${parameters.epoch}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: client.addresses.RewardDistributor,
      abi: rewardDistributorAbi,
      functionName: "postEpochRoot",
      args: [parameters.epoch, parameters.liquidRoot, parameters.vestingRoot, parameters.reportHash],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber };
}
