import { gmFlockAbi } from "@flock/contracts";
import { assertAmount, ValidationError } from "@flock/core";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface LockFlockParameters {
  /** FLOCK base units to lock; GmFlock must be approved to spend them (see `approve`). */
  amount: bigint;
  /** Whole days, 0–365; the gmFLOCK multiplier grows from 30 days to 3.01× at 365 [FLock]. */
  days: number;
}

export interface LockFlockReturnType {
  lockId: bigint;
  /** gmFLOCK minted: n + n·219·(clamp(d,30,365) − 30)/36500. */
  gmAmount: bigint;
  /** Unix seconds from which `unlock` is allowed. */
  unlockTime: bigint;
  transactionHash: Hex;
}

/** Locks FLOCK for `days` and mints gmFLOCK to the caller. */
export async function lockFlock(
  client: FlockClient,
  parameters: LockFlockParameters,
): Promise<LockFlockReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  if (!Number.isInteger(parameters.days) || parameters.days < 0) {
    throw new ValidationError(
      "LOCK_DAYS_INVALID",
      `lock duration ${parameters.days} is not a whole number of days`,
      {
        hint: "Give the lock duration in whole days, from 0 to 365.",
      },
    );
  }
  const address = client.addresses.GmFlock;
  const receipt = await submit(client, "lock FLOCK", async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: gmFlockAbi,
      functionName: "lock",
      args: [amount, parameters.days],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, gmFlockAbi, address, "Locked");
  return {
    lockId: event.lockId,
    gmAmount: event.gmAmount,
    unlockTime: event.unlockTime,
    transactionHash: receipt.transactionHash,
  };
}
