import { getBalances, getLock, readEvents, withdrawStake } from "@flock/chain";
import { taskStakingAbi } from "@flock/contracts";
import { FlockError } from "@flock/core";
import type { Address } from "viem";
import type { Participant } from "../network/participant.ts";

/**
 * What a home already holds on its chain from earlier demo runs, so a second run tells the story again with
 * new tasks instead of failing on what cannot be repeated (σ has a cooldown) or spending FLOCK on new locks.
 */

/** The newest lock of `p` that is still locked and minted at least `stake` gmFLOCK, if the wallet holds that much. */
export async function reusableLock(p: Participant, stake: bigint): Promise<bigint | undefined> {
  const { gmFlock } = await getBalances(p.chain, { account: p.address as Address });
  if (gmFlock < stake) return undefined;
  const ids: bigint[] = [];
  for await (const event of readEvents(p.chain, { fromBlock: p.deploymentBlock, kinds: ["locked"] })) {
    if (event.kind === "locked" && event.args.owner.toLowerCase() === p.address) ids.push(event.args.lockId);
  }
  for (const lockId of ids.reverse()) {
    const lock = await getLock(p.chain, { lockId });
    if (!lock.unlocked && lock.gmAmount >= stake) return lockId;
  }
  return undefined;
}

/** σ (bps) of `p`'s delegation pool when it is open: the last `SigmaSet` it emitted. */
export async function poolSigma(p: Participant): Promise<number | undefined> {
  let sigma: number | undefined;
  for await (const event of readEvents(p.chain, { fromBlock: p.deploymentBlock, kinds: ["sigmaSet"] })) {
    if (event.kind === "sigmaSet" && event.args.participant.toLowerCase() === p.address)
      sigma = Number(event.args.sigmaBps);
  }
  return sigma;
}

/** Whether `delegator` already delegates to `participant`'s pool (any `Delegated` event between them). */
export async function delegatesTo(delegator: Participant, participant: Participant): Promise<boolean> {
  for await (const event of readEvents(delegator.chain, {
    fromBlock: delegator.deploymentBlock,
    kinds: ["delegated"],
  })) {
    if (
      event.kind === "delegated" &&
      event.args.delegator.toLowerCase() === delegator.address &&
      event.args.participant.toLowerCase() === participant.address
    )
      return true;
  }
  return false;
}

/** A stake taken back from a closed task. */
export interface WithdrawnStake {
  taskId: bigint;
  amount: bigint;
}

/** Refusals that only mean "not yet": the task is still open or its dispute window has not passed. */
const NOT_YET_WITHDRAWABLE = new Set(["TASK_NOT_CLOSED", "DISPUTE_WINDOW_OPEN", "NOTHING_STAKED"]);

/**
 * Take back `p`'s stakes on every task that is closed and past its dispute window. TaskStaking counts at most
 * 32 unfinished tasks per account (MAX_ACTIVE_TASKS) until their stakes are withdrawn, so a home that runs
 * the demo again and again (or was stopped mid-way) would otherwise be refused a stake after ~32 runs; the
 * gmFLOCK comes back to the wallet, where `reusableLock` finds it again.
 */
export async function withdrawClosedStakes(p: Participant): Promise<WithdrawnStake[]> {
  const active = await p.chain.publicClient.readContract({
    address: p.chain.addresses.TaskStaking,
    abi: taskStakingAbi,
    functionName: "activeTasksOf",
    args: [p.address as Address],
  });
  const withdrawn: WithdrawnStake[] = [];
  for (const taskId of active) {
    try {
      const { amount } = await withdrawStake(p.chain, { taskId });
      withdrawn.push({ taskId, amount });
    } catch (error) {
      if (error instanceof FlockError && NOT_YET_WITHDRAWABLE.has(error.code)) continue;
      throw error;
    }
  }
  return withdrawn;
}
