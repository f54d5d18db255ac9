import type { AppContext } from "../deps.ts";
import { countedStakes } from "../stakes/freezeStakes.ts";

/**
 * Who plays a round: every participant that joined and whose stake frozen at the join deadline reaches the
 * task's minimum (SPEC §2.2: participants join with stake).
 */
export async function roundParticipants(
  ctx: AppContext,
  taskId: number,
): Promise<{ account: string; stake: bigint }[]> {
  const task = await ctx.repos.tasks.get(taskId);
  const joined = new Set((await ctx.repos.fl.participants(taskId)).map((p) => p.account));
  return (await countedStakes(ctx.repos, taskId))
    .filter((s) => joined.has(s.account) && s.amount > 0n && s.amount >= task.minStake)
    .map((s) => ({ account: s.account, stake: s.amount }));
}
