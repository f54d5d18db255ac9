import { contentId } from "@flock/core";
import { sql } from "kysely";
import { expect, it } from "vitest";
import { migrateToLatest } from "./migrate.ts";
import { withTransaction } from "./repositories.ts";
import { account, at, cid, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function infrastructureCases(ctx: StoreTestContext): void {
  it("migrations are idempotent: a second run applies nothing", async () => {
    expect(await migrateToLatest(ctx.db)).toEqual([]);
    const applied = await sql<{ name: string }>`select name from flock_migrations order by name`.execute(
      ctx.db,
    );
    expect(applied.rows.map((row) => row.name)).toEqual([
      "0001_initial",
      "0002_public_artifacts",
      "0003_chain_facts",
      "0004_request_edge",
      "0005_arena_rules",
      "0006_network_epochs",
      "0007_chain_writes",
      "0008_emission_weight_zero",
      "0009_chain_write_sent",
      "0010_task_cancelled",
      "0011_federated_tasks",
      "0012_fl_contributions",
      "0013_fl_server_state",
      "0014_models",
      "0015_credits",
      "0016_api_access",
    ]);
  });

  it("a replayed request nonce is an AuthError; another account may use the same nonce", async () => {
    await ctx.repos.nonces.record(account(2), "n-1", at(5));
    await expect(ctx.repos.nonces.record(account(2), "n-1", at(5))).rejects.toMatchObject({
      name: "AuthError",
      code: "REQUEST_REPLAYED",
    });
    await ctx.repos.nonces.record(account(3), "n-1", at(5));
    expect(await ctx.repos.nonces.pruneExpired(at(6))).toBe(2);
    await ctx.repos.nonces.record(account(2), "n-1", at(10));
  });

  it("a nonce replay inside a transaction does not poison the transaction's other writes", async () => {
    await ctx.repos.nonces.record(account(2), "n", at(5));
    const task = await withTransaction(ctx.db, async (repos) => {
      await expect(repos.nonces.record(account(2), "n", at(5))).rejects.toMatchObject({
        code: "REQUEST_REPLAYED",
      });
      return repos.tasks.create(newTask());
    });
    expect((await ctx.repos.tasks.get(task.id)).id).toBe(task.id);
  });

  it("a failed transaction leaves nothing behind", async () => {
    await expect(
      withTransaction(ctx.db, async (repos) => {
        const task = await repos.tasks.create(newTask());
        await repos.events.append("task.created", { taskId: task.id });
        throw new Error("crash after writing");
      }),
    ).rejects.toThrow("crash after writing");
    expect((await ctx.repos.tasks.list()).items).toEqual([]);
    expect(await ctx.repos.events.listAfter(0)).toEqual([]);
  });

  it("concurrent transactions and plain queries are serialized without lost writes", async () => {
    const task = await ctx.repos.tasks.create(newTask({ status: "open" }));
    const writers = Array.from({ length: 12 }, (_, i) =>
      withTransaction(ctx.db, async (repos) => {
        const submission = await repos.submissions.commit({
          taskId: task.id,
          trainer: account(100 + i),
          commitHash: cid(`w${i}`),
          committedAt: at(i),
        });
        await repos.events.append("submission.committed", { submissionId: submission.id });
        return submission.id;
      }),
    );
    const readers = Array.from({ length: 6 }, () => ctx.repos.submissions.list({ taskId: task.id }));
    const [ids] = await Promise.all([Promise.all(writers), Promise.all(readers)]);
    expect(new Set(ids).size).toBe(12);
    expect((await ctx.repos.submissions.list({ taskId: task.id })).items).toHaveLength(12);
    const events = await ctx.repos.events.listAfter(0);
    expect(events).toHaveLength(12);
    expect(events.map((event) => event.id)).toEqual(events.map((_, i) => events[0]!.id + i));
  });

  it("events are read after an id, in order, optionally by type", async () => {
    const a = await ctx.repos.events.append("task.created", { taskId: 1 });
    const b = await ctx.repos.events.append("task.opened", { taskId: 1 });
    const c = await ctx.repos.events.append("task.created", { taskId: 2, nested: { list: [1, 2] } });
    expect(b.id).toBeGreaterThan(a.id);
    expect((await ctx.repos.events.listAfter(a.id)).map((event) => event.id)).toEqual([b.id, c.id]);
    const created = await ctx.repos.events.listAfter(0, { types: ["task.created"] });
    expect(created.map((event) => event.payload)).toEqual([
      { taskId: 1 },
      { taskId: 2, nested: { list: [1, 2] } },
    ]);
    expect(await ctx.repos.events.listAfter(0, { limit: 1 })).toHaveLength(1);
    expect(await ctx.repos.events.latestId()).toBe(c.id);
  });

  it("jobs: due ones are claimed once, a lost worker's lease expires and the job is claimed again", async () => {
    const due = await ctx.repos.jobs.schedule({
      kind: "task.deadline",
      runAt: at(10),
      payload: { taskId: 1 },
    });
    await ctx.repos.jobs.schedule({ kind: "task.end", runAt: at(60), payload: { taskId: 1 } });
    expect(await ctx.repos.jobs.claimDue({ now: at(5), leaseMs: 60_000 })).toEqual([]);
    const claimed = await ctx.repos.jobs.claimDue({ now: at(11), leaseMs: 60_000 });
    expect(claimed.map((job) => [job.id, job.attempts, job.payload])).toEqual([[due.id, 1, { taskId: 1 }]]);
    // Within the lease nobody else gets it.
    expect(await ctx.repos.jobs.claimDue({ now: at(11.5), leaseMs: 60_000 })).toEqual([]);
    // The worker died: after the lease the job is claimed again, and the first claim is stale.
    const reclaimed = await ctx.repos.jobs.claimDue({ now: at(13), leaseMs: 60_000 });
    expect(reclaimed.map((job) => [job.id, job.attempts])).toEqual([[due.id, 2]]);
    await expect(ctx.repos.jobs.complete(claimed[0]!)).rejects.toMatchObject({ code: "JOB_CLAIM_LOST" });
    expect((await ctx.repos.jobs.complete(reclaimed[0]!)).status).toBe("done");
    expect(await ctx.repos.jobs.claimDue({ now: at(30), leaseMs: 60_000 })).toEqual([]);
  });

  it("jobs: concurrent claimers split the due jobs without overlap", async () => {
    for (let i = 0; i < 10; i++) await ctx.repos.jobs.schedule({ kind: "k", runAt: at(i) });
    const batches = await Promise.all(
      Array.from({ length: 4 }, () => ctx.repos.jobs.claimDue({ now: at(100), limit: 3, leaseMs: 1_000 })),
    );
    const ids = batches.flat().map((job) => job.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });

  it("jobs: a failure retries later or gives up; a keyed job is scheduled once", async () => {
    const job = await ctx.repos.jobs.schedule({ kind: "epoch.post", runAt: at(0), key: "epoch:1" });
    const again = await ctx.repos.jobs.schedule({ kind: "epoch.post", runAt: at(50), key: "epoch:1" });
    expect(again.id).toBe(job.id);
    expect(again.runAt).toEqual(at(0));
    const [first] = await ctx.repos.jobs.claimDue({ now: at(1), leaseMs: 1_000 });
    const retried = await ctx.repos.jobs.fail(first!, "chain unreachable", at(5));
    expect(retried).toMatchObject({ status: "pending", lastError: "chain unreachable", lockedUntil: null });
    expect(await ctx.repos.jobs.claimDue({ now: at(4), leaseMs: 1_000 })).toEqual([]);
    const [second] = await ctx.repos.jobs.claimDue({ now: at(5), leaseMs: 1_000 });
    expect(second?.attempts).toBe(2);
    expect((await ctx.repos.jobs.fail(second!, "still unreachable")).status).toBe("failed");
    expect(await ctx.repos.jobs.list({ status: "failed" })).toHaveLength(1);
  });

  it("artifact records are idempotent and refuse a different size for the same content", async () => {
    const id = contentId("bytes");
    const first = await ctx.repos.artifacts.record({ id, size: 5, mediaType: "application/octet-stream" });
    const second = await ctx.repos.artifacts.record({ id, size: 5, mediaType: "application/json" });
    expect(second).toEqual(first);
    await expect(ctx.repos.artifacts.record({ id, size: 6, mediaType: "x" })).rejects.toMatchObject({
      code: "ARTIFACT_SIZE_MISMATCH",
    });
    await expect(ctx.repos.artifacts.get(contentId("other"))).rejects.toMatchObject({
      code: "ARTIFACT_NOT_FOUND",
    });
  });

  it("publishing an artifact is one-way and keeps its first publisher", async () => {
    const alice = "0x00000000000000000000000000000000000000a1";
    const bob = "0x00000000000000000000000000000000000000b2";
    const hidden = await ctx.repos.artifacts.record({ id: contentId("hidden"), size: 6, mediaType: "x" });
    expect(hidden).toMatchObject({ public: false, publishedBy: null });
    const base = await ctx.repos.artifacts.publish({
      id: contentId("base"),
      size: 4,
      mediaType: "application/octet-stream",
      publisher: alice.toUpperCase().replace("0X", "0x"),
    });
    expect(base).toMatchObject({ public: true, publishedBy: alice });
    const again = await ctx.repos.artifacts.publish({ id: base.id, size: 4, mediaType: "x", publisher: bob });
    expect(again).toEqual(base);
    // Recording it privately later does not take it back.
    expect(await ctx.repos.artifacts.record({ id: base.id, size: 4, mediaType: "x" })).toMatchObject({
      public: true,
    });
    // A privately recorded artifact becomes public when published.
    const report = await ctx.repos.artifacts.record({ id: contentId("report"), size: 6, mediaType: "x" });
    expect(report.public).toBe(false);
    expect(
      await ctx.repos.artifacts.publish({ id: report.id, size: 6, mediaType: "x", publisher: bob }),
    ).toMatchObject({ public: true, publishedBy: bob });
    await expect(
      ctx.db.updateTable("artifacts").set({ public: true }).where("id", "=", hidden.id).execute(),
    ).rejects.toThrow();
  });

  it("chain facts: a pool's σ follows its latest SigmaSet, replays converge, a slash is recorded once", async () => {
    const pool = account(4);
    await ctx.repos.chainFacts.applySigma({
      participant: pool,
      sigmaBps: 5000,
      blockNumber: 10,
      logIndex: 1,
    });
    await ctx.repos.chainFacts.applySigma({
      participant: pool,
      sigmaBps: 3000,
      blockNumber: 12,
      logIndex: 0,
    });
    // An older event read again (a re-indexed range) changes nothing.
    await ctx.repos.chainFacts.applySigma({
      participant: pool,
      sigmaBps: 5000,
      blockNumber: 10,
      logIndex: 1,
    });
    expect((await ctx.repos.chainFacts.sigmas()).get(pool)).toBe(3000);
    await expect(
      ctx.repos.chainFacts.applySigma({ participant: pool, sigmaBps: 10_001, blockNumber: 13, logIndex: 0 }),
    ).rejects.toMatchObject({ name: "ValidationError" });

    const slash = {
      evidenceHash: `0x${"ab".repeat(32)}` as const,
      taskId: 7,
      account: account(5),
      prover: account(6),
      fractionBps: 5000,
      amount: 2000n,
      proverShare: 200n,
      treasuryShare: 1800n,
      txHash: `0x${"cd".repeat(32)}` as const,
      blockNumber: 20,
      logIndex: 2,
    };
    await ctx.repos.chainFacts.recordSlash(slash);
    await ctx.repos.chainFacts.recordSlash({ ...slash, amount: 1n, proverShare: 0n, treasuryShare: 1n });
    expect(await ctx.repos.chainFacts.slashesOfTask(7)).toEqual([slash]);
    expect(await ctx.repos.chainFacts.slashesOfTask(8)).toEqual([]);
    // Parts that do not add up to the amount break a database rule.
    await expect(
      ctx.repos.chainFacts.recordSlash({ ...slash, evidenceHash: `0x${"ef".repeat(32)}`, proverShare: 1n }),
    ).rejects.toMatchObject({ name: "ValidationError" });
  });
}
