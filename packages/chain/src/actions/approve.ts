import { flockTokenAbi, gmFlockAbi } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import { type Address, type Hex, isAddress } from "viem";
import type { FlockClient } from "../client.ts";
import type { ContractName } from "../manifest.ts";
import { submit } from "../submit.ts";

/** The two Flock tokens. */
export type FlockTokenName = "FLOCK" | "gmFLOCK";

export interface ApproveParameters {
  token: FlockTokenName;
  /** A Flock contract by name (e.g. "GmFlock" before lockFlock, "TaskStaking" before stake) or any address. */
  spender: ContractName | Address;
  amount: bigint;
}

export interface ApproveReturnType {
  transactionHash: Hex;
}

/** Lets `spender` move up to `amount` of the caller's FLOCK or gmFLOCK (ERC-20 approve). */
export async function approve(
  client: FlockClient,
  parameters: ApproveParameters,
): Promise<ApproveReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const spender = isAddress(parameters.spender) ? parameters.spender : client.addresses[parameters.spender];
  const token = parameters.token === "FLOCK" ? client.addresses.FlockToken : client.addresses.GmFlock;
  // Both tokens share the ERC-20 approve signature; each ABI is used for its own token.
  const abi = parameters.token === "FLOCK" ? flockTokenAbi : gmFlockAbi;
  const receipt = await submit(client, `approve ${parameters.token}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: token,
      abi,
      functionName: "approve",
      args: [spender, amount],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash };
}
