import { taskStakingAbi } from "@flock/contracts";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

/** gmFLOCK base units: the network minimum stake, for every task minimum and every stake (SPEC §3). */
export type GetMinStakeFloorReturnType = bigint;

/** Reads the network minimum stake from TaskStaking. */
export async function getMinStakeFloor(reader: FlockReader): Promise<GetMinStakeFloorReturnType> {
  try {
    return await reader.publicClient.readContract({
      address: reader.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "minStakeFloor",
    });
  } catch (error) {
    throw toChainError(error, "read the network minimum stake");
  }
}
