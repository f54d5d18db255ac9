import { gmFlockAbi } from "@flock/contracts";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface UnlockParameters {
  lockId: bigint;
  /**
   * When part of the lock's gmFLOCK was slashed, unlock anyway: burn what the owner holds, get back the
   * matching share of the FLOCK, and forfeit the rest to the treasury. Without it such an unlock is refused.
   */
  forfeitShortfall?: boolean;
}

export interface UnlockReturnType {
  gmBurned: bigint;
  /** FLOCK paid back: the locked amount (or the share still backed by gmFLOCK) minus the 5% fee. */
  flockReturned: bigint;
  /** fee = floor(n·500/10000), to the treasury. */
  redemptionFee: bigint;
  /** FLOCK behind gmFLOCK that was slashed away, to the treasury. */
  forfeited: bigint;
  transactionHash: Hex;
}

/** Ends an expired lock: burns its gmFLOCK and returns the FLOCK minus the 5% redemption fee [seeds]. */
export async function unlock(client: FlockClient, parameters: UnlockParameters): Promise<UnlockReturnType> {
  const address = client.addresses.GmFlock;
  const receipt = await submit(client, `unlock lock ${parameters.lockId}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: gmFlockAbi,
      functionName: parameters.forfeitShortfall === true ? "unlockForfeiting" : "unlock",
      args: [parameters.lockId],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, gmFlockAbi, address, "Unlocked");
  return {
    gmBurned: event.gmBurned,
    flockReturned: event.flockReturned,
    redemptionFee: event.redemptionFee,
    forfeited: event.forfeited,
    transactionHash: receipt.transactionHash,
  };
}
