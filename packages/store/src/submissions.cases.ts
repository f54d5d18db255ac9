import { expect, it } from "vitest";
import { canTransitionSubmission } from "./submissions.ts";
import { account, at, cid, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function submissionCases(ctx: StoreTestContext): void {
  async function openTask(): Promise<number> {
    return (await ctx.repos.tasks.create(newTask({ status: "open" }))).id;
  }

  it("a commit, then its upload, then acceptance", async () => {
    const taskId = await openTask();
    const committed = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("weights A"),
      committedAt: at(10),
    });
    expect(committed).toMatchObject({ status: "committed", artifactId: null, artifactSize: null });
    const uploaded = await ctx.repos.submissions.recordUpload(committed.id, {
      artifactId: cid("weights A"),
      size: 123_456,
      uploadedAt: at(70),
    });
    expect(uploaded).toMatchObject({
      status: "uploaded",
      artifactId: cid("weights A"),
      artifactSize: 123_456,
    });
    expect(uploaded.uploadedAt).toEqual(at(70));
    expect((await ctx.repos.submissions.accept(committed.id)).status).toBe("accepted");
  });

  it("a commit for a task that does not exist is a NotFoundError", async () => {
    await expect(
      ctx.repos.submissions.commit({
        taskId: 404,
        trainer: account(2),
        commitHash: cid("x"),
        committedAt: at(1),
      }),
    ).rejects.toMatchObject({ name: "NotFoundError", code: "TASK_NOT_FOUND" });
  });

  it("a commit after the deadline, or to a task that is not open, is refused", async () => {
    const taskId = await openTask();
    const commit = { taskId, trainer: account(2), commitHash: cid("late"), committedAt: at(60) };
    // Exactly at the deadline is still in time.
    await ctx.repos.submissions.commit(commit);
    await expect(
      ctx.repos.submissions.commit({ ...commit, trainer: account(3), committedAt: at(60.001) }),
    ).rejects.toMatchObject({ name: "ConflictError", code: "SUBMISSION_AFTER_DEADLINE" });
    const draft = await ctx.repos.tasks.create(newTask());
    await expect(ctx.repos.submissions.commit({ ...commit, taskId: draft.id })).rejects.toMatchObject({
      code: "TASK_NOT_OPEN",
    });
    expect((await ctx.repos.submissions.list()).items).toHaveLength(1);
  });

  it("the same trainer committing the same hash twice is a conflict", async () => {
    const taskId = await openTask();
    const commit = { taskId, trainer: account(2), commitHash: cid("w"), committedAt: at(1) };
    await ctx.repos.submissions.commit(commit);
    await expect(ctx.repos.submissions.commit(commit)).rejects.toMatchObject({
      name: "ConflictError",
      code: "SUBMISSION_EXISTS",
    });
  });

  it("a copied artifact is found among earlier submissions and marked as a copy", async () => {
    const taskId = await openTask();
    const original = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("weights A"),
      committedAt: at(1),
    });
    await ctx.repos.submissions.recordUpload(original.id, {
      artifactId: cid("weights A"),
      size: 10,
      uploadedAt: at(2),
    });
    const copier = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(3),
      commitHash: cid("weights A'"),
      committedAt: at(3),
    });
    await ctx.repos.submissions.recordUpload(copier.id, {
      artifactId: cid("weights A"),
      size: 10,
      uploadedAt: at(4),
    });
    const earlier = await ctx.repos.submissions.findEarlierWithContent(taskId, cid("weights A"), copier.id);
    expect(earlier.map((submission) => submission.id)).toEqual([original.id]);
    const marked = await ctx.repos.submissions.markCopy(copier.id, {
      copyOf: original.id,
      reason: "byte-identical",
    });
    expect(marked).toMatchObject({ status: "copy", copyOf: original.id, reason: "byte-identical" });
    await expect(ctx.repos.submissions.accept(copier.id)).rejects.toMatchObject({
      code: "SUBMISSION_TRANSITION_INVALID",
    });
  });

  it("a submission cannot be accepted before its upload, and a rejection needs a reason", async () => {
    const taskId = await openTask();
    const submission = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("w"),
      committedAt: at(1),
    });
    await expect(ctx.repos.submissions.accept(submission.id)).rejects.toMatchObject({
      code: "SUBMISSION_TRANSITION_INVALID",
    });
    await expect(ctx.repos.submissions.reject(submission.id, " ")).rejects.toMatchObject({
      code: "REASON_MISSING",
    });
    const rejected = await ctx.repos.submissions.reject(submission.id, "no upload before the deadline");
    expect(rejected).toMatchObject({ status: "rejected", reason: "no upload before the deadline" });
    expect(canTransitionSubmission("rejected", "accepted")).toBe(false);
  });

  it("the database refuses an uploaded submission without an artifact", async () => {
    const taskId = await openTask();
    const submission = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("w"),
      committedAt: at(1),
    });
    await expect(
      ctx.db.updateTable("submissions").set({ status: "uploaded" }).where("id", "=", submission.id).execute(),
    ).rejects.toMatchObject({ code: "23514" });
    await expect(
      ctx.db
        .updateTable("submissions")
        .set({ artifact_id: cid("w") })
        .where("id", "=", submission.id)
        .execute(),
    ).rejects.toMatchObject({ code: "23514" });
  });

  it("submissions filter by task, trainer and status", async () => {
    const first = await openTask();
    const second = await openTask();
    await ctx.repos.submissions.commit({
      taskId: first,
      trainer: account(2),
      commitHash: cid("a"),
      committedAt: at(1),
    });
    await ctx.repos.submissions.commit({
      taskId: first,
      trainer: account(3),
      commitHash: cid("b"),
      committedAt: at(2),
    });
    await ctx.repos.submissions.commit({
      taskId: second,
      trainer: account(2),
      commitHash: cid("c"),
      committedAt: at(3),
    });
    expect((await ctx.repos.submissions.list({ taskId: first })).items).toHaveLength(2);
    expect(
      (await ctx.repos.submissions.list({ trainer: account(2) })).items.map((s) => s.commitHash),
    ).toEqual([cid("a"), cid("c")]);
    expect((await ctx.repos.submissions.list({ status: "uploaded" })).items).toEqual([]);
  });

  it("a trainer's new commit replaces its live one: one live submission per trainer and task", async () => {
    const taskId = await openTask();
    const first = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("v1"),
      committedAt: at(1),
    });
    await ctx.repos.submissions.recordUpload(first.id, { artifactId: cid("v1"), size: 2, uploadedAt: at(2) });
    await ctx.repos.submissions.accept(first.id);
    const second = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("v2"),
      committedAt: at(3),
    });
    const replaced = await ctx.repos.submissions.get(first.id);
    expect(replaced).toMatchObject({ status: "replaced", replacedBy: second.id });
    expect(await ctx.repos.submissions.replacedBy(second.id)).toEqual(replaced);
    await expect(
      ctx.repos.submissions.commit({
        taskId,
        trainer: account(2),
        commitHash: cid("v2"),
        committedAt: at(4),
      }),
    ).rejects.toMatchObject({ code: "SUBMISSION_EXISTS" });
    // Back to the first artifact: a new commit again, and it copies nobody (it is the trainer's own work).
    const third = await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("v1"),
      committedAt: at(5),
    });
    expect((await ctx.repos.submissions.get(second.id)).status).toBe("replaced");
    expect(await ctx.repos.submissions.findEarlierWithContent(taskId, cid("v1"), third.id)).toEqual([]);
    const live = await ctx.repos.submissions.list({
      taskId,
      status: ["committed", "uploaded", "accepted"],
    });
    expect(live.items.map((s) => s.id)).toEqual([third.id]);
    // A replaced submission is final.
    await expect(ctx.repos.submissions.accept(first.id)).rejects.toMatchObject({
      code: "SUBMISSION_TRANSITION_INVALID",
    });
  });

  it("the database refuses a second live submission of one trainer on a task", async () => {
    const taskId = await openTask();
    await ctx.repos.submissions.commit({
      taskId,
      trainer: account(2),
      commitHash: cid("live"),
      committedAt: at(1),
    });
    await expect(
      ctx.db
        .insertInto("submissions")
        .values({ task_id: taskId, trainer: account(2), commit_hash: cid("other"), committed_at: at(2) })
        .execute(),
    ).rejects.toMatchObject({ code: "23505" });
  });

  it("listAll reads every page: more than 500 submissions come back complete", async () => {
    const taskId = await openTask();
    const rows = Array.from({ length: 1203 }, (_, i) => ({
      task_id: taskId,
      trainer: account(1000 + i),
      commit_hash: cid(`many ${i}`),
      committed_at: at(1),
    }));
    for (let i = 0; i < rows.length; i += 400) {
      await ctx.db
        .insertInto("submissions")
        .values(rows.slice(i, i + 400))
        .execute();
    }
    const all = await ctx.repos.submissions.listAll({ taskId, status: "committed" });
    expect(all).toHaveLength(1203);
    expect(new Set(all.map((s) => s.id)).size).toBe(1203);
    expect((await ctx.repos.submissions.list({ taskId, limit: 500 })).items).toHaveLength(500);
  });
}
