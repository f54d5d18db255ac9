import { rewardDistributorAbi, rewardTree } from "@flock/contracts";
import { assertAmount } from "@flock/core";
import type { Address, Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { eventArgs } from "../eventArgs.ts";
import { submit } from "../submit.ts";

/** The two reward trees of an epoch: liquid pays at once, vesting releases linearly (trainers' 90%). */
export type RewardTreeName = "liquid" | "vesting";

export interface ClaimRewardsParameters {
  epoch: bigint;
  tree: RewardTreeName;
  /** Who is paid; the caller by default (anyone may submit a claim for any account). */
  account?: Address;
  /** The account's full amount in the tree (the leaf), not what is left to claim. */
  amount: bigint;
  /** The Merkle proof of the leaf (epoch, account, amount), from the epoch's reward tree. */
  proof: readonly Hex[];
}

export interface ClaimRewardsReturnType {
  /** FLOCK released by this claim, before the claim fee. */
  gross: bigint;
  /** Claim fee, to the treasury. */
  fee: bigint;
  /** FLOCK paid to the account: gross − fee. */
  paid: bigint;
  /** Everything released to the account from this tree so far. */
  totalClaimed: bigint;
  transactionHash: Hex;
}

/** Claims an epoch reward with its Merkle proof. */
export async function claimRewards(
  client: FlockClient,
  parameters: ClaimRewardsParameters,
): Promise<ClaimRewardsReturnType> {
  const amount = assertAmount(parameters.amount, "amount");
  const account = parameters.account ?? client.account.address;
  const address = client.addresses.RewardDistributor;
  const receipt = await submit(
    client,
    `claim ${parameters.tree} rewards of epoch ${parameters.epoch}`,
    async () => {
      const { request } = await client.publicClient.simulateContract({
        account: client.account,
        address,
        abi: rewardDistributorAbi,
        functionName: "claim",
        args: [parameters.epoch, rewardTree[parameters.tree], account, amount, [...parameters.proof]],
      });
      return client.walletClient.writeContract(request);
    },
  );
  const event = eventArgs(receipt, rewardDistributorAbi, address, "Claimed");
  return {
    gross: event.amount,
    fee: event.fee,
    paid: event.amount - event.fee,
    totalClaimed: event.totalClaimed,
    transactionHash: receipt.transactionHash,
  };
}
