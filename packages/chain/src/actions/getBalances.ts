import { flockTokenAbi, gmFlockAbi } from "@flock/contracts";
import type { Address } from "viem";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface GetBalancesParameters {
  account: Address;
}

/** Base units (18 decimals) held in the wallet; gmFLOCK at stake or delegated sits in those contracts. */
export interface GetBalancesReturnType {
  /** Native currency, for gas. */
  eth: bigint;
  flock: bigint;
  gmFlock: bigint;
}

/** Native, FLOCK and gmFLOCK balances of an account. */
export async function getBalances(
  reader: FlockReader,
  parameters: GetBalancesParameters,
): Promise<GetBalancesReturnType> {
  const { publicClient, addresses } = reader;
  try {
    const [eth, flock, gmFlock] = await Promise.all([
      publicClient.getBalance({ address: parameters.account }),
      publicClient.readContract({
        address: addresses.FlockToken,
        abi: flockTokenAbi,
        functionName: "balanceOf",
        args: [parameters.account],
      }),
      publicClient.readContract({
        address: addresses.GmFlock,
        abi: gmFlockAbi,
        functionName: "balanceOf",
        args: [parameters.account],
      }),
    ]);
    return { eth, flock, gmFlock };
  } catch (error) {
    throw toChainError(error, "read balances");
  }
}
