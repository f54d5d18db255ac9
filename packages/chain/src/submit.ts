import { ChainError } from "@flock/core";
import type { Hex, TransactionReceipt } from "viem";
import { toChainError } from "./chainErrors.ts";
import type { FlockSigner } from "./client.ts";
import type { ContractLabels } from "./revertExplanations.ts";
import { reportSentTransaction } from "./sentTransactions.ts";

/** The tail of each account's send queue, by chain id and address. */
const sendQueues = new Map<string, Promise<void>>();

/**
 * Runs `send` after every earlier send of the same account in this process has been accepted by the node
 * (or failed). Each send fills in its nonce from the node's pending count, so two concurrent sends of one
 * account would otherwise take the same nonce and one would fail NONCE_TOO_LOW; in the queue each send sees
 * the pending transactions of the ones before it. Only the sending is serialized: receipts are awaited
 * outside the queue, so concurrent actions still confirm together.
 */
export function inSendQueue<T>(signer: FlockSigner, send: () => Promise<T>): Promise<T> {
  const key = `${signer.walletClient.chain.id}:${signer.account.address.toLowerCase()}`;
  const previous = sendQueues.get(key) ?? Promise.resolve();
  const run = previous.then(send);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  sendQueues.set(key, tail);
  void tail.then(() => {
    if (sendQueues.get(key) === tail) sendQueues.delete(key);
  });
  return run;
}

/**
 * Sends one transaction and waits for its receipt; its hash is reported to the context's `onTransactionSent`
 * listener as soon as the node accepted it. `send` simulates the call first (so a revert is
 * caught with its custom error before any gas is spent) and then writes it, in the account's send queue
 * (see inSendQueue); every failure becomes a ChainError naming `action`.
 */
export async function submit(
  signer: FlockSigner & { addresses?: ContractLabels },
  action: string,
  send: () => Promise<Hex>,
): Promise<TransactionReceipt> {
  let hash: Hex;
  try {
    hash = await inSendQueue(signer, send);
  } catch (error) {
    throw toChainError(error, action, signer.addresses);
  }
  // Sent, not yet mined: a journal listening in this context records the hash now (see onTransactionSent).
  await reportSentTransaction(hash, action);
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
