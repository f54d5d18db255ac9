import { slashingAbi } from "@flock/contracts";
import { ValidationError } from "@flock/core";
import { type Address, type Hex, isHex, size } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

export interface SlashParameters {
  taskId: bigint;
  /** The participant whose stake on the task is slashed. */
  account: Address;
  /** Fraction of the stake, in bps (1–10000). */
  fractionBps: number;
  /** Hash of the published fault proof; each evidence slashes once. */
  evidenceHash: Hex;
  /** Who proved the fault: receives 10% of the slashed gmFLOCK [FLock v1]. */
  prover: Address;
}

export interface SlashReturnType {
  /** gmFLOCK slashed: floor(stake·fraction/10000). */
  amount: bigint;
  /** floor(amount·1000/10000), to the prover. */
  proverShare: bigint;
  /** amount − proverShare, to the treasury. */
  treasuryShare: bigint;
  transactionHash: Hex;
}

/** Slasher (the coordinator): slashes a fraction of a task stake for a proven fault. */
export async function slash(client: FlockClient, parameters: SlashParameters): Promise<SlashReturnType> {
  const { fractionBps, evidenceHash } = parameters;
  if (!Number.isInteger(fractionBps) || fractionBps < 1 || fractionBps > 10_000) {
    throw new ValidationError(
      "SLASH_FRACTION_INVALID",
      `slash fraction ${fractionBps} is not in [1, 10000] bps`,
      {
        hint: "Give the fraction of the stake in basis points: 10000 = all of it.",
      },
    );
  }
  if (!isHex(evidenceHash) || size(evidenceHash) !== 32) {
    throw new ValidationError("BYTES32_INVALID", `evidence hash ${String(evidenceHash)} is not 32 bytes`, {
      hint: "Pass the evidence hash as 0x followed by 64 hex digits.",
    });
  }
  const address = client.addresses.Slashing;
  const receipt = await submit(
    client,
    `slash ${parameters.account} on task ${parameters.taskId}`,
    async () => {
      const { request } = await client.publicClient.simulateContract({
        account: client.account,
        address,
        abi: slashingAbi,
        functionName: "slash",
        args: [parameters.taskId, parameters.account, fractionBps, evidenceHash, parameters.prover],
      });
      return client.walletClient.writeContract(request);
    },
  );
  const event = eventArgs(receipt, slashingAbi, address, "Slashed");
  return {
    amount: event.amount,
    proverShare: event.proverShare,
    treasuryShare: event.treasuryShare,
    transactionHash: receipt.transactionHash,
  };
}
