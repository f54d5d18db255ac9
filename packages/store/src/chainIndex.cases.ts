import { expect, it } from "vitest";
import { account, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function chainIndexCases(ctx: StoreTestContext): void {
  it("stake events replayed or delivered out of order converge to the chain's latest total", async () => {
    const task = await ctx.repos.tasks.create(newTask({ status: "open" }));
    const staked = { taskId: task.id, account: account(2), role: "trainer" as const };
    const first = await ctx.repos.stakes.applyEvent({
      ...staked,
      amount: 3000n,
      blockNumber: 10,
      logIndex: 1,
    });
    expect(first.applied).toBe(true);
    const second = await ctx.repos.stakes.applyEvent({
      ...staked,
      amount: 5000n,
      blockNumber: 12,
      logIndex: 0,
    });
    expect(second.stake.amount).toBe(5000n);
    // The first event again (a re-indexed range): no change.
    const replay = await ctx.repos.stakes.applyEvent({
      ...staked,
      amount: 3000n,
      blockNumber: 10,
      logIndex: 1,
    });
    expect(replay).toMatchObject({ applied: false, stake: { amount: 5000n } });
    await ctx.repos.stakes.applyEvent({
      taskId: task.id,
      account: account(3),
      role: "validator",
      amount: 7000n,
      blockNumber: 11,
      logIndex: 4,
    });
    expect(await ctx.repos.stakes.totals(task.id)).toEqual({ trainer: 5000n, validator: 7000n });
    expect((await ctx.repos.stakes.listForTask(task.id, "validator")).map((s) => s.account)).toEqual([
      account(3),
    ]);
  });

  it("a stake event with the other role on the same task is refused", async () => {
    const task = await ctx.repos.tasks.create(newTask({ status: "open" }));
    await ctx.repos.stakes.applyEvent({
      taskId: task.id,
      account: account(2),
      role: "trainer",
      amount: 1n,
      blockNumber: 1,
      logIndex: 0,
    });
    await expect(
      ctx.repos.stakes.applyEvent({
        taskId: task.id,
        account: account(2),
        role: "validator",
        amount: 1n,
        blockNumber: 2,
        logIndex: 0,
      }),
    ).rejects.toMatchObject({ code: "STAKE_ROLE_CONFLICT" });
  });

  it("a withdrawn stake (total 0) leaves the task's stake lists", async () => {
    const task = await ctx.repos.tasks.create(newTask({ status: "open" }));
    const base = { taskId: task.id, account: account(2), role: "trainer" as const };
    await ctx.repos.stakes.applyEvent({ ...base, amount: 10n, blockNumber: 1, logIndex: 0 });
    await ctx.repos.stakes.applyEvent({ ...base, amount: 0n, blockNumber: 2, logIndex: 0 });
    expect(await ctx.repos.stakes.listForTask(task.id)).toEqual([]);
    expect(await ctx.repos.stakes.listForAccount(account(2))).toEqual([]);
    expect((await ctx.repos.stakes.get(task.id, account(2)))?.amount).toBe(0n);
  });

  it("delegations are indexed idempotently and summed per pool", async () => {
    const pool = account(5);
    await ctx.repos.delegations.applyEvent({
      pool,
      delegator: account(6),
      amount: 100n,
      at: new Date(1_000),
      blockNumber: 3,
      logIndex: 0,
    });
    await ctx.repos.delegations.applyEvent({
      pool,
      delegator: account(7),
      amount: 50n,
      at: new Date(2_000),
      blockNumber: 4,
      logIndex: 0,
    });
    const stale = await ctx.repos.delegations.applyEvent({
      pool,
      delegator: account(7),
      amount: 20n,
      at: new Date(1_500),
      blockNumber: 3,
      logIndex: 9,
    });
    expect(stale).toMatchObject({ applied: false, delegation: { amount: 50n, since: new Date(2_000) } });
    expect(await ctx.repos.delegations.totalForPool(pool)).toBe(150n);
    // The history keeps every change once, in chain order, for time-weighted pool splits.
    await ctx.repos.delegations.applyEvent({
      pool,
      delegator: account(6),
      amount: 100n,
      at: new Date(1_000),
      blockNumber: 3,
      logIndex: 0,
    });
    const history = await ctx.repos.delegations.listChanges(pool);
    expect(
      history.map((change) => [change.delegator, change.amount, change.blockNumber, change.logIndex]),
    ).toEqual([
      [account(6), 100n, 3, 0],
      [account(7), 20n, 3, 9],
      [account(7), 50n, 4, 0],
    ]);
    expect(await ctx.repos.delegations.listChanges(pool, { until: new Date(1_500) })).toHaveLength(2);
    expect(await ctx.repos.delegations.totalForPool(account(99))).toBe(0n);
    expect((await ctx.repos.delegations.listForDelegator(account(6))).map((d) => d.pool)).toEqual([pool]);
  });

  it("a chain cursor only moves forward unless reset", async () => {
    expect(await ctx.repos.chainCursors.get("staking")).toBeUndefined();
    expect(await ctx.repos.chainCursors.advance("staking", 100)).toBe(100);
    expect(await ctx.repos.chainCursors.advance("staking", 90)).toBe(100);
    expect(await ctx.repos.chainCursors.advance("staking", 120)).toBe(120);
    await ctx.repos.chainCursors.reset("staking", 80);
    expect(await ctx.repos.chainCursors.get("staking")).toBe(80);
  });
}
