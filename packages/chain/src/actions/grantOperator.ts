import { taskStakingAbi } from "@flock/contracts";
import type { Address, Hex } from "viem";
import { keccak256, toHex } from "viem";
import type { FlockClient } from "../client.ts";
import { submit } from "../submit.ts";

export interface GrantOperatorParameters {
  account: Address;
}

/**
 * The network admin grants `account` TaskStaking's OPERATOR_ROLE (SPEC §3: operators approve the tasks paid from
 * the emission). The caller must hold the admin role.
 */
export async function grantOperator(
  client: FlockClient,
  parameters: GrantOperatorParameters,
): Promise<{ transactionHash: Hex }> {
  const receipt = await submit(client, `grant the operator role to ${parameters.account}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: client.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "grantRole",
      args: [keccak256(toHex("OPERATOR_ROLE")), parameters.account],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash };
}
