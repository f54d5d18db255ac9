import { AuthError } from "@flock/core";
import type { Stake } from "@flock/store";
import type { AppContext } from "../deps.ts";
import type { StakeIndexer } from "./stakeIndexer.ts";

/**
 * The caller's role on a task comes from its on-chain stake (indexed), never from the request (SPEC §2.1,
 * issue: "roles come from on-chain stake"). A stake not yet indexed triggers one sync with the chain first,
 * so a participant who just staked is not refused. Returns the stake.
 */
export async function requireStake(
  ctx: Pick<AppContext, "repos">,
  indexer: StakeIndexer,
  need: { taskId: number; account: string; role: "trainer" | "validator" },
): Promise<Stake> {
  const task = await ctx.repos.tasks.get(need.taskId);
  const enough = (stake: Stake | undefined) =>
    stake !== undefined && stake.amount > 0n && stake.amount >= task.minStake;
  let stake = await ctx.repos.stakes.get(need.taskId, need.account);
  if (!enough(stake)) {
    await indexer.sync();
    stake = await ctx.repos.stakes.get(need.taskId, need.account);
  }
  if (stake === undefined || !enough(stake)) {
    throw new AuthError(
      "STAKE_REQUIRED",
      `${need.account} has ${stake?.amount ?? 0n} staked on task ${need.taskId}; taking part needs ${task.minStake} as ${need.role}`,
      {
        hint: `stake at least the task's minimum gmFLOCK as ${need.role} on-chain (TaskStaking.stake), then retry`,
        details: {
          taskId: need.taskId,
          account: need.account,
          role: need.role,
          minStake: task.minStake.toString(),
        },
      },
    );
  }
  if (stake.role !== need.role) {
    throw new AuthError(
      "ROLE_REQUIRED",
      `${need.account} stakes on task ${need.taskId} as ${stake.role}, and this needs a ${need.role}`,
      {
        hint: "one account takes one role per task [FLock]; use an account staked in the needed role",
        details: { taskId: need.taskId, account: need.account, role: stake.role, needed: need.role },
      },
    );
  }
  return stake;
}
