import type { Repositories, TaskSnapshot } from "@flock/store";
import type { AppContext } from "../deps.ts";
import { createStakeIndexer } from "./stakeIndexer.ts";

/** A stake as the task's rules count it: frozen at the submission deadline once the snapshot is taken. */
export interface CountedStake {
  account: string;
  role: "trainer" | "validator";
  amount: bigint;
}

/**
 * The stakes that count for a task (SPEC §2.1: frozen at the submission deadline, a snapshot at a recorded
 * block): the snapshot's once it is taken, before that the indexed current stakes. Consensus, the validator
 * draw, disputes and rewards all read stakes through here, so a stake added after the deadline changes nothing.
 */
export async function countedStakes(
  repos: Repositories,
  taskId: number,
  role?: "trainer" | "validator",
): Promise<CountedStake[]> {
  const snapshot = await repos.snapshots.find(taskId);
  const stakes = snapshot?.stakes ?? (await repos.stakes.listForTask(taskId));
  return stakes
    .filter((s) => role === undefined || s.role === role)
    .map((s) => ({ account: s.account, role: s.role, amount: s.amount }));
}

/**
 * Freeze a task's stakes at its submission deadline (SPEC §2.1): find the first block mined after the deadline
 * (on a development chain, ask it to mine one), read every staker's frozen stake from TaskStaking
 * (`snapshotStakeOf`, which no later stake or withdrawal changes) and record them with that block's number and
 * hash — the hash also seeds the validator draw (SPEC: a verifiable draw). Returns the recorded snapshot; null
 * while no block after the deadline exists yet (the caller retries). Taken once; idempotent.
 */
export async function freezeStakes(ctx: AppContext, taskId: number): Promise<TaskSnapshot | null> {
  const existing = await ctx.repos.snapshots.find(taskId);
  if (existing !== undefined) return existing;
  const task = await ctx.repos.tasks.get(taskId);
  let block = await ctx.chain.firstBlockAfter(task.submissionDeadline);
  if (block === null && (await ctx.chain.mineBlock(task.submissionDeadline)))
    block = await ctx.chain.firstBlockAfter(task.submissionDeadline);
  if (block === null) return null;
  // Every stake made before the deadline is indexed by now (the block after it is mined): read them all.
  await createStakeIndexer(ctx).sync();
  const stakers = await ctx.repos.stakes.listForTask(taskId);
  const frozen = await ctx.chain.snapshotStakes(
    taskId,
    stakers.map((s) => s.account),
  );
  const snapshot = await ctx.repos.snapshots.record({
    taskId,
    blockNumber: block.number,
    blockHash: block.hash,
    blockTime: block.time,
    stakes: stakers.map((s) => ({ account: s.account, role: s.role, amount: frozen.get(s.account) ?? 0n })),
  });
  await ctx.repos.events.append("task.stakesFrozen", {
    taskId,
    blockNumber: block.number.toString(),
    blockHash: block.hash,
    stakers: snapshot.stakes.length,
  });
  return snapshot;
}
