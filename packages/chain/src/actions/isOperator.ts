import { taskStakingAbi } from "@flock/contracts";
import type { Address } from "viem";
import { toChainError } from "../chainErrors.ts";
import type { FlockReader } from "../client.ts";

export interface IsOperatorParameters {
  account: Address;
}

/** Reads whether an account holds the operator role: it may create tasks paid from the emission (SPEC §3). */
export async function isOperator(reader: FlockReader, parameters: IsOperatorParameters): Promise<boolean> {
  try {
    return await reader.publicClient.readContract({
      address: reader.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "isOperator",
      args: [parameters.account],
    });
  } catch (error) {
    throw toChainError(error, `read whether ${parameters.account} is an operator`);
  }
}
