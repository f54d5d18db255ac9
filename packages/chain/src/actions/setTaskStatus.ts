import { taskStakingAbi, taskStatus } from "@flock/contracts";
import type { Hex } from "viem";
import type { FlockClient } from "../client.ts";
import { submit } from "../submit.ts";

/** Task lifecycle: open ⇄ paused, then closed (final; starts the dispute window). */
export type TaskStatusName = "open" | "paused" | "closed";

export interface SetTaskStatusParameters {
  taskId: bigint;
  status: TaskStatusName;
}

export interface SetTaskStatusReturnType {
  transactionHash: Hex;
}

/** Coordinator: opens, pauses or closes a task. */
export async function setTaskStatus(
  client: FlockClient,
  parameters: SetTaskStatusParameters,
): Promise<SetTaskStatusReturnType> {
  const receipt = await submit(client, `set task ${parameters.taskId} ${parameters.status}`, async () => {
    const { request } = await client.publicClient.simulateContract({
      account: client.account,
      address: client.addresses.TaskStaking,
      abi: taskStakingAbi,
      functionName: "setTaskStatus",
      args: [parameters.taskId, taskStatus[parameters.status]],
    });
    return client.walletClient.writeContract(request);
  });
  return { transactionHash: receipt.transactionHash };
}
