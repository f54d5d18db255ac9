import { ChainError } from "@flock/core";
import type { Hex, TransactionReceipt } from "viem";
import { toChainError } from "./chainErrors.ts";
import type { FlockSigner } from "./client.ts";
import type { ContractLabels } from "./revertExplanations.ts";

/**
 * Sends one transaction and waits for its receipt. `send` simulates the call first (so a revert is
 * caught with its custom error before any gas is spent) and then writes it; every failure becomes a
 * ChainError naming `action`.
 */
export async function submit(
  signer: FlockSigner & { addresses?: ContractLabels },
  action: string,
  send: () => Promise<Hex>,
): Promise<TransactionReceipt> {
  let hash: Hex;
  try {
    hash = await send();
  } catch (error) {
    throw toChainError(error, action, signer.addresses);
  }
  let receipt: TransactionReceipt;
  try {
    receipt = await signer.publicClient.waitForTransactionReceipt({ hash });
  } catch (error) {
    throw toChainError(error, action, signer.addresses);
  }
  if (receipt.status !== "success") {
    throw new ChainError("TRANSACTION_REVERTED", `${action} reverted on-chain in transaction ${hash}`, {
      hint: "The state changed between simulation and inclusion; read the current state and retry.",
      details: { hash, blockNumber: receipt.blockNumber.toString() },
    });
  }
  return receipt;
}
