import { AsyncLocalStorage } from "node:async_hooks";
import type { Hex } from "viem";

/** Told each transaction's hash as soon as the node accepted it (before it is mined). */
export type SentTransactionListener = (hash: Hex, action: string) => Promise<void> | void;

const listeners = new AsyncLocalStorage<SentTransactionListener>();

/**
 * Run `work` so that every transaction `submit` sends inside it (in this async context) is reported to `listener`
 * with its hash right after the node accepted it and before its receipt is awaited. The coordinator's chain-write
 * journal records the hash this way, so after a crash between send and mine it looks the transaction up instead
 * of guessing. A listener that throws does not fail the transaction (the chain stays the truth).
 */
export function onTransactionSent<T>(listener: SentTransactionListener, work: () => Promise<T>): Promise<T> {
  return listeners.run(listener, work);
}

/** Report a sent transaction to the listener of the current context, if any (called by `submit`). */
export async function reportSentTransaction(hash: Hex, action: string): Promise<void> {
  const listener = listeners.getStore();
  if (listener === undefined) return;
  try {
    await listener(hash, action);
  } catch {
    // The journal is a record of what was sent, not a condition of sending: the chain is read before any retry.
  }
}
