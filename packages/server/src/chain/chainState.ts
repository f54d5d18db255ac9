import { type FlockClient, toChainError } from "@flock/chain";
import { type Hex, parseAbi } from "viem";
import type { ChainTaskStatus } from "./chainGateway.ts";

/**
 * Reads of what the coordinator's own writes left on the chain: a task as TaskStaking holds it and an epoch's
 * roots as the RewardDistributor holds them. Each chain write reads these first and treats "already done" as
 * done, so a write re-run after a crash (or a lost receipt) never asks the contract to do it twice.
 */
const stateAbi = parseAbi([
  "function tasks(uint256 taskId) view returns (uint8 status, uint32 minLockDays, uint64 submissionDeadline, uint64 endTime, uint64 closedAt, uint64 disputeWindow, uint256 minStake, uint256 totalTrainerStake, uint256 totalValidatorStake)",
  "function epochs(uint256 epoch) view returns (bytes32 liquidRoot, bytes32 vestingRoot, bytes32 reportHash, uint64 postedAt, uint64 vestingDuration, uint256 total, uint256 claimedTotal)",
]);

/** TaskStaking's status codes (`STATUS_*`). */
const STATUS_NAMES: readonly ChainTaskStatus[] = ["none", "open", "paused", "closed"];

/** A task as TaskStaking holds it. */
export interface ChainTask {
  status: ChainTaskStatus;
  minStake: bigint;
  minLockDays: number;
  /** Unix seconds. */
  submissionDeadline: bigint;
  /** Unix seconds. */
  endTime: bigint;
  /** Unix seconds; 0 until closed. */
  closedAt: bigint;
  disputeWindow: bigint;
}

/** An epoch's roots as the RewardDistributor holds them; null when not posted. */
export interface ChainEpoch {
  liquidRoot: Hex;
  vestingRoot: Hex;
  reportHash: Hex;
  total: bigint;
  postedAt: bigint;
}

export async function readChainTask(client: FlockClient, taskId: number): Promise<ChainTask> {
  try {
    const [status, minLockDays, submissionDeadline, endTime, closedAt, disputeWindow, minStake] =
      await client.publicClient.readContract({
        address: client.addresses.TaskStaking,
        abi: stateAbi,
        functionName: "tasks",
        args: [BigInt(taskId)],
      });
    return {
      status: STATUS_NAMES[status] ?? "none",
      minStake,
      minLockDays,
      submissionDeadline,
      endTime,
      closedAt,
      disputeWindow,
    };
  } catch (error) {
    throw toChainError(error, `read task ${taskId}`);
  }
}

export async function readChainEpoch(client: FlockClient, epoch: bigint): Promise<ChainEpoch | null> {
  try {
    const [liquidRoot, vestingRoot, reportHash, postedAt, , total] = await client.publicClient.readContract({
      address: client.addresses.RewardDistributor,
      abi: stateAbi,
      functionName: "epochs",
      args: [epoch],
    });
    return postedAt === 0n ? null : { liquidRoot, vestingRoot, reportHash, total, postedAt };
  } catch (error) {
    throw toChainError(error, `read epoch ${epoch}`);
  }
}
