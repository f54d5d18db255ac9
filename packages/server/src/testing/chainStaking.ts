import {
  approve,
  type FlockClient,
  type LocalChain,
  lockFlock,
  manifestAddresses,
  stake,
  startLocalChain,
} from "@flock/chain";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { createChainGateway } from "../chain/createChainGateway.ts";

/**
 * Chain set-up the attack tests over anvil share: a local chain with the coordinator's real gateway, and a
 * participant's stake (lock FLOCK into gmFLOCK, then stake it on a task) as a participant's own wallet does it.
 */

/** A local anvil chain (deployed in `chainDir`) and the coordinator's gateway over it, signing as its coordinator. */
export async function startChainWithGateway(
  chainDir: string,
): Promise<{ chain: LocalChain; gateway: ChainGateway }> {
  const chain = await startLocalChain({ dataDir: chainDir });
  const gateway = createChainGateway({
    rpcUrl: chain.rpcUrl,
    chainId: chain.chainId,
    addresses: manifestAddresses(chain.manifest),
    coordinatorKey: chain.roles.coordinator.privateKey,
    startBlock: BigInt(chain.manifest.blockNumber),
  });
  return { chain, gateway };
}

/**
 * Lock `lock` FLOCK (default `amount`) for `days` into gmFLOCK and stake `amount` gmFLOCK of it on a task in a
 * role (all of the lock's gmFLOCK when `amount` is "all"). Returns the lock.
 */
export async function lockAndStake(
  client: FlockClient,
  parameters: {
    taskId: number;
    role: "trainer" | "validator";
    amount: bigint | "all";
    lock?: bigint;
    days?: number;
  },
): Promise<{ lockId: bigint; gmAmount: bigint; staked: bigint }> {
  const locked = parameters.lock ?? (parameters.amount === "all" ? undefined : parameters.amount);
  if (locked === undefined)
    throw new Error("lockAndStake: say how much FLOCK to lock when staking all of it");
  await approve(client, { token: "FLOCK", spender: "GmFlock", amount: locked });
  const { lockId, gmAmount } = await lockFlock(client, { amount: locked, days: parameters.days ?? 0 });
  const staked = parameters.amount === "all" ? gmAmount : parameters.amount;
  await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount: staked });
  await stake(client, { taskId: BigInt(parameters.taskId), role: parameters.role, amount: staked, lockId });
  return { lockId, gmAmount, staked };
}
