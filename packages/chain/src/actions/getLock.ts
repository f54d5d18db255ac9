import { gmFlockAbi } from "@flock/contracts";
import { NotFoundError } from "@flock/core";
import type { Address } from "viem";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface GetLockParameters {
  lockId: bigint;
}

export interface GetLockReturnType {
  owner: Address;
  /** FLOCK locked. */
  amount: bigint;
  /** gmFLOCK the lock minted. */
  gmAmount: bigint;
  durationDays: number;
  /** Unix seconds from which it can be unlocked. */
  unlockTime: bigint;
  unlocked: boolean;
}

/** Reads one gmFLOCK lock. */
export async function getLock(
  reader: FlockReader,
  parameters: GetLockParameters,
): Promise<GetLockReturnType> {
  let fields: readonly [Address, bigint, number, boolean, bigint, bigint];
  try {
    fields = await reader.publicClient.readContract({
      address: reader.addresses.GmFlock,
      abi: gmFlockAbi,
      functionName: "locks",
      args: [parameters.lockId],
    });
  } catch (error) {
    throw toChainError(error, `read lock ${parameters.lockId}`);
  }
  const [owner, unlockTime, durationDays, unlocked, amount, gmAmount] = fields;
  if (owner === "0x0000000000000000000000000000000000000000") {
    throw new NotFoundError("LOCK_NOT_FOUND", `lock ${parameters.lockId} does not exist`, {
      hint: "Use a lock id returned by lockFlock (or read from the Locked events).",
    });
  }
  return { owner, amount, gmAmount, durationDays, unlockTime, unlocked };
}
