import { delegationPoolsAbi } from "@flock/contracts";
import { ValidationError } from "@flock/core";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { submit } from "../submit.ts";

export interface SetSigmaParameters {
  /** σ in bps: the participant keeps po + σ·(pw − po), the pool gets (1 − σ)(pw − po) [FLock V2.1]. */
  sigmaBps: number;
}

export interface SetSigmaReturnType {
  transactionHash: Hex;
}

/** Opens the caller's delegation pool or changes its σ (subject to the cooldown and the task-end freeze). */
export async function setSigma(
  client: FlockClient,
  parameters: SetSigmaParameters,
): Promise<SetSigmaReturnType> {
  const { sigmaBps } = parameters;
  if (!Number.isInteger(sigmaBps) || sigmaBps < 0 || sigmaBps > 10_000) {
    throw new ValidationError(
      "SIGMA_OUT_OF_RANGE",
      `σ ${sigmaBps} is not a whole number of bps in [0, 10000]`,
      {
        hint: "Give σ in basis points: 10000 = 100%.",
      },
    );
  }
  const receipt = await submit(client, "set σ", async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: client.addresses.DelegationPools,
      abi: delegationPoolsAbi,
      functionName: "setSigma",
      args: [sigmaBps],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash };
}
