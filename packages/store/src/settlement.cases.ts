import { expect, it } from "vitest";
import { account, cid, hash32, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function settlementCases(ctx: StoreTestContext): void {
  async function recordEpoch(number: number) {
    const task = await ctx.repos.tasks.create(newTask());
    return ctx.repos.epochs.record({
      number,
      taskId: task.id,
      reportId: cid(`report ${number}`),
      reportHash: hash32(`report ${number}`),
      liquidRoot: hash32("liquid"),
      vestingRoot: hash32("vesting"),
    });
  }

  it("an epoch is recorded, listed as unposted, then posted exactly once", async () => {
    const epoch = await recordEpoch(1);
    expect(epoch).toMatchObject({ number: 1, txHash: null, postedAt: null, reportId: cid("report 1") });
    expect((await ctx.repos.epochs.listUnposted()).map((e) => e.number)).toEqual([1]);
    const posted = await ctx.repos.epochs.markPosted(1, { txHash: hash32("tx"), postedAt: new Date(1_000) });
    expect(posted).toMatchObject({ txHash: hash32("tx"), postedAt: new Date(1_000) });
    expect(await ctx.repos.epochs.listUnposted()).toEqual([]);
    await expect(
      ctx.repos.epochs.markPosted(1, { txHash: hash32("tx2"), postedAt: new Date() }),
    ).rejects.toMatchObject({
      code: "EPOCH_ALREADY_POSTED",
    });
    await expect(recordEpoch(1)).rejects.toMatchObject({ code: "EPOCH_EXISTS" });
    expect((await ctx.repos.epochs.latest())?.number).toBe(1);
  });

  it("rewards with proofs are stored per epoch and read per account as bigint", async () => {
    await recordEpoch(1);
    const big = 10n ** 60n + 7n;
    const inserted = await ctx.repos.rewards.recordEpoch(1, [
      { account: account(2), tree: "liquid", amount: 100n, proof: [hash32("a")] },
      { account: account(2), tree: "vesting", amount: big, proof: [hash32("b"), hash32("c")] },
      { account: account(3), tree: "liquid", amount: 5n, proof: [] },
    ]);
    expect(inserted).toBe(3);
    const mine = await ctx.repos.rewards.listForAccount(account(2));
    expect(mine.map((r) => [r.tree, r.amount, r.proof.length])).toEqual([
      ["liquid", 100n, 1],
      ["vesting", big, 2],
    ]);
    expect((await ctx.repos.rewards.get(1, account(3), "liquid")).amount).toBe(5n);
    await expect(ctx.repos.rewards.get(1, account(3), "vesting")).rejects.toMatchObject({
      code: "REWARD_NOT_FOUND",
    });
  });

  it("an epoch's rewards are written all or nothing", async () => {
    await recordEpoch(1);
    await expect(
      ctx.repos.rewards.recordEpoch(1, [
        { account: account(2), tree: "liquid", amount: 1n, proof: [] },
        { account: account(2), tree: "liquid", amount: 2n, proof: [] },
      ]),
    ).rejects.toMatchObject({ name: "ConflictError" });
    expect(await ctx.repos.rewards.listForEpoch(1)).toEqual([]);
    await expect(
      ctx.repos.rewards.recordEpoch(2, [{ account: account(2), tree: "liquid", amount: 1n, proof: [] }]),
    ).rejects.toMatchObject({ name: "NotFoundError" });
  });

  it("a slash is recorded once per piece of evidence", async () => {
    const task = await ctx.repos.tasks.create(newTask());
    const slash = {
      epoch: null,
      taskId: task.id,
      account: account(3),
      amount: 300n * 10n ** 18n,
      reason: "copy of submission 1",
      evidenceId: cid("evidence"),
    };
    const recorded = await ctx.repos.slashes.record(slash);
    expect(recorded).toMatchObject({ amount: 300n * 10n ** 18n, prover: null });
    const proven = await ctx.repos.slashes.record({
      ...slash,
      evidenceId: cid("re-run"),
      prover: account(9),
    });
    expect(proven.prover).toBe(account(9));
    await expect(ctx.repos.slashes.record(slash)).rejects.toMatchObject({ code: "SLASH_EXISTS" });
    await expect(
      ctx.repos.slashes.record({ ...slash, evidenceId: cid("other"), amount: 0n }),
    ).rejects.toMatchObject({
      code: "SLASH_AMOUNT_INVALID",
    });
    expect(await ctx.repos.slashes.list({ account: account(3) })).toHaveLength(2);
    expect(await ctx.repos.slashes.list({ taskId: task.id + 1 })).toEqual([]);
  });
}
