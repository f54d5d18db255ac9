import { ChainError, isFlockError } from "@flock/core";
import {
  type Abi,
  BaseError,
  ContractFunctionRevertedError,
  decodeErrorResult,
  type Hex,
  HttpRequestError,
  InsufficientFundsError,
  isHex,
  NonceTooLowError,
  TimeoutError,
} from "viem";
import { allErrorsAbi } from "./contractsAbi.ts";
import { type ContractLabels, explainRevert } from "./revertExplanations.ts";

/** A contract revert decoded against the Flock ABIs. */
export interface DecodedRevert {
  errorName: string;
  args: readonly unknown[];
}

/** Decodes raw revert data (selector + ABI-encoded args) against every Flock contract error. */
export function decodeRevert(data: Hex, abi: Abi = allErrorsAbi): DecodedRevert | undefined {
  if (data.length < 10) return undefined;
  try {
    const decoded = decodeErrorResult({ abi, data });
    return { errorName: decoded.errorName, args: decoded.args ?? [] };
  } catch {
    return undefined;
  }
}

/** The revert data carried anywhere in a viem error's cause chain. */
function findRevertData(error: BaseError): Hex | undefined {
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (
    reverted instanceof ContractFunctionRevertedError &&
    reverted.raw !== undefined &&
    reverted.raw !== "0x"
  ) {
    return reverted.raw;
  }
  const withData = error.walk((e) => {
    const data = (e as { data?: unknown }).data;
    return typeof data === "string" && isHex(data) && data.length >= 10;
  });
  const data = (withData as { data?: unknown } | null)?.data;
  return typeof data === "string" && isHex(data) ? data : undefined;
}

/**
 * Turns anything thrown while talking to the chain into a ChainError: contract custom errors become a
 * message saying what was refused and a hint saying what to do; transport failures say the node is
 * unreachable. `action` names the operation in words ("lock FLOCK", "claim rewards"); `contracts` lets
 * messages name the Flock contracts whose addresses appear in a revert.
 */
export function toChainError(error: unknown, action: string, contracts?: ContractLabels): ChainError {
  if (error instanceof ChainError) return error;
  if (isFlockError(error)) {
    return new ChainError(error.code, error.message, {
      hint: error.hint,
      details: error.details,
      cause: error,
    });
  }
  if (!(error instanceof BaseError)) {
    return new ChainError(
      "CHAIN_REQUEST_FAILED",
      `${action} failed: ${String((error as Error)?.message ?? error)}`,
      {
        hint: "Check the RPC URL and that the node is running.",
        cause: error,
      },
    );
  }

  const data = findRevertData(error);
  const decoded = data === undefined ? undefined : decodeRevert(data);
  if (decoded !== undefined) {
    const explained = explainRevert(decoded.errorName, decoded.args, contracts);
    return new ChainError(explained.code, `${action} was refused: ${explained.message}`, {
      hint: explained.hint,
      details: { errorName: decoded.errorName, args: decoded.args.map(stringifyArg) },
      cause: error,
    });
  }
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) {
    const reason = reverted.reason ?? reverted.signature ?? "no reason given";
    return new ChainError("CONTRACT_REVERTED", `${action} was refused by the contract: ${reason}`, {
      hint: "Check the arguments and the account's balances and roles; the contract may be a different version than this client.",
      details: { reason },
      cause: error,
    });
  }
  if (error.walk((e) => e instanceof InsufficientFundsError) !== null) {
    return new ChainError("INSUFFICIENT_GAS_FUNDS", `${action} failed: the account cannot pay for gas`, {
      hint: "Send some of the chain's native currency (ETH) to the account first.",
      cause: error,
    });
  }
  if (error.walk((e) => e instanceof NonceTooLowError) !== null) {
    return new ChainError("NONCE_TOO_LOW", `${action} failed: another transaction used the same nonce`, {
      hint: "Do not send from the same account in parallel; retry the operation.",
      cause: error,
    });
  }
  if (error.walk((e) => e instanceof HttpRequestError || e instanceof TimeoutError) !== null) {
    return new ChainError("CHAIN_UNREACHABLE", `${action} failed: the chain node did not answer`, {
      hint: "Check that the RPC URL is right and the node (anvil or your provider) is running.",
      cause: error,
    });
  }
  return new ChainError("CHAIN_REQUEST_FAILED", `${action} failed: ${error.shortMessage}`, {
    hint: "Check the RPC URL, the account and the arguments.",
    cause: error,
  });
}

function stringifyArg(value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
