import { flockTokenAbi, usageCreditsAbi } from "@flock/contracts";
import { assertAmount, ChainError, formatFlock, ValidationError } from "@flock/core";
import { type Address, type Hex, isAddress } from "viem";
import { toChainError } from "../chainErrors.ts";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";
import { approve } from "./approve.ts";

export interface DepositCreditsParameters {
  /** FLOCK base units moved from the caller's wallet into the usage-credit balance. */
  amount: bigint;
  /** Whose balance to fund (a sponsor funding a consumer); the caller's own by default. */
  account?: Address;
}

export interface DepositCreditsReturnType {
  /** The funded account's credit balance after the deposit. */
  balance: bigint;
  transactionHash: Hex;
}

/**
 * Deposits FLOCK into the UsageCredits contract, the prepaid balance Moonbase API usage is paid from: checks the
 * wallet holds `amount` FLOCK (else INSUFFICIENT_BALANCE, saying how much it holds), approves UsageCredits and
 * deposits (or `depositFor` another account).
 * @example await depositCredits(client, { amount: parseFlock("100") });
 */
export async function depositCredits(
  client: FlockClient,
  parameters: DepositCreditsParameters,
): Promise<DepositCreditsReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const account = parameters.account;
  if (account !== undefined && !isAddress(account)) {
    throw new ValidationError("ADDRESS_MALFORMED", `${String(account)} is not an address`, {
      hint: "Pass the account to fund as 0x followed by 40 hex digits.",
    });
  }
  let held: bigint;
  try {
    held = await client.publicClient.readContract({
      address: client.addresses.FlockToken,
      abi: flockTokenAbi,
      functionName: "balanceOf",
      args: [client.account.address],
    });
  } catch (error) {
    throw toChainError(error, "read the FLOCK balance");
  }
  if (held < amount) {
    throw new ChainError(
      "INSUFFICIENT_BALANCE",
      `${client.account.address} holds ${formatFlock(held)} FLOCK, less than the ${formatFlock(amount)} to deposit`,
      {
        hint: "Deposit at most what the wallet holds, or get FLOCK first (claim rewards, unlock, or a transfer).",
      },
    );
  }
  await approve(client, { token: "FLOCK", spender: "UsageCredits", amount });
  const address = client.addresses.UsageCredits;
  const receipt = await submit(client, "deposit usage credit", async () => {
    if (account === undefined) {
      const { request } = await client.publicClient.simulateContract({
        account: client.account,
        address,
        abi: usageCreditsAbi,
        functionName: "deposit",
        args: [amount],
      });
      return client.walletClient.writeContract(request);
    }
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address,
      abi: usageCreditsAbi,
      functionName: "depositFor",
      args: [account, amount],
    });
    return client.walletClient.writeContract(request);
  });
  const event = eventArgs(receipt, usageCreditsAbi, address, "CreditDeposited");
  return { balance: event.balance, transactionHash: receipt.transactionHash };
}
