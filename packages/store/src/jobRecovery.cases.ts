import { expect, it } from "vitest";
import { at, type StoreTestContext } from "./testing/fixtures.ts";

/** The job queue's recovery paths and the journal of chain writes, on every dialect. */
export function jobRecoveryCases(ctx: StoreTestContext): void {
  it("jobs: a renewed lease keeps a long job's claim; a stale claim cannot renew it", async () => {
    const job = await ctx.repos.jobs.schedule({
      kind: "task.finalize",
      runAt: at(0),
      payload: { taskId: 1 },
    });
    const [claimed] = await ctx.repos.jobs.claimDue({ now: at(1), leaseMs: 60_000 });
    expect(await ctx.repos.jobs.renewLease(claimed!, at(10))).toBe(true);
    // Past the first lease but within the renewed one: nobody else claims it.
    expect(await ctx.repos.jobs.claimDue({ now: at(5), leaseMs: 60_000 })).toEqual([]);
    // The worker stopped renewing (it died): claimed again after the renewed lease, the old claim is stale.
    const [again] = await ctx.repos.jobs.claimDue({ now: at(11), leaseMs: 60_000 });
    expect(again?.id).toBe(job.id);
    expect(await ctx.repos.jobs.renewLease(claimed!, at(20))).toBe(false);
    expect((await ctx.repos.jobs.get(job.id)).lockedUntil).toEqual(at(12));
  });

  it("jobs: a stopped job keeps its error code until the operator retries it; only a failed job is retried", async () => {
    const job = await ctx.repos.jobs.schedule({
      kind: "task.finalize",
      runAt: at(0),
      payload: { taskId: 7 },
    });
    const [claimed] = await ctx.repos.jobs.claimDue({ now: at(1), leaseMs: 1_000 });
    const failed = await ctx.repos.jobs.fail(claimed!, "refused", undefined, "REWARDS_INSUFFICIENT");
    expect(failed).toMatchObject({
      status: "failed",
      errorCode: "REWARDS_INSUFFICIENT",
      lastError: "refused",
    });
    expect(await ctx.repos.jobs.claimDue({ now: at(100), leaseMs: 1_000 })).toEqual([]);
    const retried = await ctx.repos.jobs.retry(job.id, at(100));
    expect(retried).toMatchObject({ status: "pending", errorCode: null, runAt: at(100), attempts: 1 });
    await expect(ctx.repos.jobs.retry(job.id, at(100))).rejects.toMatchObject({ code: "JOB_NOT_FAILED" });
    const [next] = await ctx.repos.jobs.claimDue({ now: at(100), leaseMs: 1_000 });
    // Attempts keep counting: the claim before the failure can never settle the retried job.
    expect(next?.attempts).toBe(2);
    await expect(ctx.repos.jobs.complete(claimed!)).rejects.toMatchObject({ code: "JOB_CLAIM_LOST" });
    expect((await ctx.repos.jobs.complete(next!)).status).toBe("done");
    await expect(ctx.repos.jobs.retry(9_999_999, at(0))).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
  });

  it("jobs: done jobs of a kind are pruned, never pending, failed or other kinds", async () => {
    const done = await ctx.repos.jobs.schedule({ kind: "chain.reconcile", runAt: at(0) });
    const pending = await ctx.repos.jobs.schedule({ kind: "chain.reconcile", runAt: at(500) });
    const other = await ctx.repos.jobs.schedule({ kind: "task.finalize", runAt: at(0) });
    for (const job of await ctx.repos.jobs.claimDue({ now: at(1), leaseMs: 1_000 }))
      await ctx.repos.jobs.complete(job);
    expect(await ctx.repos.jobs.pruneDone("chain.reconcile", new Date(Date.now() + 60_000))).toBe(1);
    await expect(ctx.repos.jobs.get(done.id)).rejects.toMatchObject({ code: "JOB_NOT_FOUND" });
    expect((await ctx.repos.jobs.get(pending.id)).status).toBe("pending");
    expect((await ctx.repos.jobs.get(other.id)).status).toBe("done");
  });

  it("chain writes: a sent write keeps its transaction hash and stays listed until confirmed", async () => {
    const hash = `0x${"cd".repeat(32)}`;
    await ctx.repos.chainWrites.intend({ kind: "slash", key: "slash:9:0xaa:0x01" });
    const sent = await ctx.repos.chainWrites.markSent("slash:9:0xaa:0x01", hash);
    expect(sent).toMatchObject({ status: "sent", txHash: hash });
    expect((await ctx.repos.chainWrites.listUnconfirmed()).map((w) => w.key)).toContain("slash:9:0xaa:0x01");
    expect(await ctx.repos.chainWrites.confirm("slash:9:0xaa:0x01", null)).toMatchObject({
      status: "confirmed",
      txHash: hash,
    });
    // A late report of the send does not reopen a confirmed write.
    expect(await ctx.repos.chainWrites.markSent("slash:9:0xaa:0x01", `0x${"ef".repeat(32)}`)).toMatchObject({
      status: "confirmed",
      txHash: hash,
    });
  });

  it("chain writes: an intent is recorded once, confirmed with its transaction, and listed until confirmed", async () => {
    const hash = `0x${"ab".repeat(32)}`;
    const first = await ctx.repos.chainWrites.intend({ kind: "postEpochRoot", key: "epoch:1:root" });
    const again = await ctx.repos.chainWrites.intend({ kind: "postEpochRoot", key: "epoch:1:root" });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ status: "intent", txHash: null });
    await ctx.repos.chainWrites.intend({ kind: "setTaskStatus", key: "task:3:closed" });
    expect((await ctx.repos.chainWrites.listUnconfirmed()).map((w) => w.key)).toEqual([
      "epoch:1:root",
      "task:3:closed",
    ]);
    expect(
      await ctx.repos.chainWrites.confirm("epoch:1:root", hash.toUpperCase().replace("0X", "0x")),
    ).toMatchObject({
      status: "confirmed",
      txHash: hash,
    });
    // Confirming without a hash (found done on the chain) keeps the one recorded.
    expect((await ctx.repos.chainWrites.confirm("epoch:1:root", null)).txHash).toBe(hash);
    await expect(ctx.repos.chainWrites.confirm("task:3:closed", "0x1234")).rejects.toMatchObject({
      code: "HASH_MALFORMED",
    });
    expect((await ctx.repos.chainWrites.listUnconfirmed()).map((w) => w.key)).toEqual(["task:3:closed"]);
    expect(await ctx.repos.chainWrites.find("task:9:create")).toBeUndefined();
  });
}
