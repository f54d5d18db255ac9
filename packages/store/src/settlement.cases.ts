import { expect, it } from "vitest";
import { account, cid, hash32, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function settlementCases(ctx: StoreTestContext): void {
  async function recordEpoch(number: number) {
    const task = await ctx.repos.tasks.create(newTask());
    return ctx.repos.epochs.record({
      number,
      tasks: [task.id],
      mintIndex: null,
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

  it("a network-wide epoch settles several tasks, each at most once, and uses each emission mint once", async () => {
    const a = await ctx.repos.tasks.create(newTask());
    const b = await ctx.repos.tasks.create(newTask({ validationCommitment: cid("hidden b") }));
    const base = {
      reportId: cid("r"),
      reportHash: hash32("r"),
      liquidRoot: hash32("l"),
      vestingRoot: hash32("v"),
    };
    const epoch = await ctx.repos.epochs.record({ number: 1, tasks: [b.id, a.id], mintIndex: 7n, ...base });
    expect(epoch).toMatchObject({ tasks: [a.id, b.id].sort((x, y) => x - y), mintIndex: 7n });
    expect((await ctx.repos.epochs.ofTask(b.id))?.number).toBe(1);
    expect((await ctx.repos.epochs.list({ taskId: a.id })).map((e) => e.number)).toEqual([1]);
    expect(await ctx.repos.epochs.usedMints()).toEqual(new Set([7n]));
    await expect(
      ctx.repos.epochs.record({ number: 2, tasks: [a.id], mintIndex: null, ...base }),
    ).rejects.toMatchObject({ code: "TASK_ALREADY_SETTLED" });
    const empty = await ctx.repos.epochs.record({ number: 3, tasks: [], mintIndex: null, ...base });
    expect(empty).toMatchObject({ tasks: [], mintIndex: null });
    expect(await ctx.repos.epochs.ofTask(a.id + b.id + 100)).toBeUndefined();
  });

  it("a task's stake snapshot is taken once and read back exactly", async () => {
    const task = await ctx.repos.tasks.create(newTask());
    const big = 10n ** 70n + 3n;
    const snapshot = {
      taskId: task.id,
      blockNumber: 42n,
      blockHash: hash32("block 42"),
      blockTime: new Date("2026-01-01T00:00:05.000Z"),
      stakes: [
        { account: account(5).toUpperCase().replace("0X", "0x"), role: "validator" as const, amount: big },
        { account: account(4), role: "trainer" as const, amount: 0n },
      ],
    };
    const recorded = await ctx.repos.snapshots.record(snapshot);
    expect(recorded.stakes).toEqual([
      { account: account(4), role: "trainer", amount: 0n },
      { account: account(5), role: "validator", amount: big },
    ]);
    expect(await ctx.repos.snapshots.record(snapshot)).toEqual(recorded);
    await expect(ctx.repos.snapshots.record({ ...snapshot, blockNumber: 43n })).rejects.toMatchObject({
      code: "SNAPSHOT_EXISTS",
    });
    expect(await ctx.repos.snapshots.find(task.id + 1)).toBeUndefined();
  });

  it("a task's funding: the pool its creator funds and an operator's emission approval", async () => {
    const task = await ctx.repos.tasks.create(newTask());
    expect(await ctx.repos.funding.create(task.id, 5n * 10n ** 21n)).toMatchObject({
      pool: 5n * 10n ** 21n,
      approvedWeight: null,
    });
    await expect(ctx.repos.funding.create(task.id, 1n)).rejects.toMatchObject({
      code: "TASK_FUNDING_EXISTS",
    });
    const approved = await ctx.repos.funding.approve(task.id, {
      weight: 3n,
      by: account(1),
      at: new Date(5_000),
    });
    expect(approved).toMatchObject({
      approvedWeight: 3n,
      approvedBy: account(1),
      approvedAt: new Date(5_000),
    });
    await expect(ctx.repos.funding.get(task.id + 1)).rejects.toMatchObject({
      code: "TASK_FUNDING_NOT_FOUND",
    });
  });
}
