import { ChainError } from "@flock/core";
import {
  type Abi,
  type Address,
  type ContractEventName,
  type ParseEventLogsReturnType,
  parseEventLogs,
  type TransactionReceipt,
} from "viem";

/**
 * The args of the first `eventName` event that `address` emitted in a receipt: how an action reads what
 * the contract actually did (ids it assigned, amounts after fees) instead of recomputing it.
 */
export function eventArgs<const abi extends Abi, eventName extends ContractEventName<abi>>(
  receipt: TransactionReceipt,
  abi: abi,
  address: Address,
  eventName: eventName,
): ParseEventLogsReturnType<abi, eventName, true>[number]["args"] {
  const logs = parseEventLogs({
    abi,
    logs: receipt.logs.filter((log) => log.address.toLowerCase() === address.toLowerCase()),
    eventName,
    strict: true,
  });
  const first = logs[0];
  if (first === undefined) {
    throw new ChainError(
      "EVENT_MISSING",
      `transaction ${receipt.transactionHash} emitted no ${String(eventName)} event`,
      {
        hint: "The contract at this address may not be the Flock contract this client expects: check the deployment manifest.",
      },
    );
  }
  return first.args;
}
