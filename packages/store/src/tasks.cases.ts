import { parseFlock } from "@flock/core";
import { expect, it } from "vitest";
import { canTransitionTask } from "./tasks.ts";
import { account, at, cid, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function taskCases(ctx: StoreTestContext): void {
  it("a created task reads back with every field, amounts as bigint", async () => {
    const created = await ctx.repos.tasks.create(
      newTask({ minStake: parseFlock("3000.5"), rewardWeight: 2n ** 200n }),
    );
    const read = await ctx.repos.tasks.get(created.id);
    expect(read).toEqual(created);
    expect(read.status).toBe("draft");
    expect(read.minStake).toBe(3000_500000000000000000n);
    expect(read.rewardWeight).toBe(2n ** 200n);
    expect(read.submissionDeadline).toEqual(at(60));
    expect(read.trainingSetId).toBe(cid("training set"));
  });

  it("a task creator given in mixed case is stored lowercase and found by either form", async () => {
    const mixed = "0xAbCdEf0000000000000000000000000000000001";
    await ctx.repos.tasks.create(newTask({ creator: mixed }));
    const page = await ctx.repos.tasks.list({ creator: mixed });
    expect(page.items.map((task) => task.creator)).toEqual([mixed.toLowerCase()]);
  });

  it("a missing task is a NotFoundError with code TASK_NOT_FOUND", async () => {
    await expect(ctx.repos.tasks.get(999)).rejects.toMatchObject({
      name: "NotFoundError",
      code: "TASK_NOT_FOUND",
    });
  });

  it("malformed content ids, negative stakes and ends before the deadline are refused", async () => {
    await expect(ctx.repos.tasks.create(newTask({ trainingSetId: "sha256:xyz" }))).rejects.toMatchObject({
      code: "CONTENT_ID_MALFORMED",
    });
    await expect(ctx.repos.tasks.create(newTask({ minStake: -1n }))).rejects.toMatchObject({
      code: "AMOUNT_NEGATIVE",
    });
    await expect(ctx.repos.tasks.create(newTask({ endTime: at(30) }))).rejects.toMatchObject({
      code: "TASK_END_BEFORE_DEADLINE",
    });
    expect((await ctx.repos.tasks.list()).items).toEqual([]);
  });

  it("the database itself refuses a task that bypasses the repository's checks", async () => {
    const valid = {
      title: "t",
      description: "d",
      type: "lm-lora" as const,
      base_model: "m",
      context_length: 64,
      max_trainable_params: 10,
      training_set_id: cid("a"),
      validation_commitment: cid("b"),
      submission_deadline: at(1),
      end_time: at(2),
      reward_weight: "1",
      min_stake: "0",
      min_lock_days: 0,
      creator: account(1),
    };
    await ctx.db.insertInto("tasks").values(valid).execute();
    for (const bad of [
      { type: "lm-giant" },
      { training_set_id: "sha256:ABC" },
      { creator: "alice" },
      { reward_weight: "-1" },
      { min_lock_days: 400 },
      { end_time: at(0) },
      { status: "paused" },
    ]) {
      await expect(
        ctx.db
          .insertInto("tasks")
          .values({ ...valid, ...bad } as typeof valid)
          .execute(),
        JSON.stringify(bad),
      ).rejects.toMatchObject({ code: "23514" });
    }
  });

  it("tasks page by id and filter by status", async () => {
    for (let i = 0; i < 5; i++)
      await ctx.repos.tasks.create(newTask({ title: `task ${i}`, status: i % 2 ? "open" : "draft" }));
    const first = await ctx.repos.tasks.list({ limit: 2 });
    expect(first.items.map((task) => task.title)).toEqual(["task 0", "task 1"]);
    const second = await ctx.repos.tasks.list({ limit: 2, after: first.next });
    expect(second.items.map((task) => task.title)).toEqual(["task 2", "task 3"]);
    const third = await ctx.repos.tasks.list({ limit: 2, after: second.next });
    expect(third.items.map((task) => task.title)).toEqual(["task 4"]);
    expect(third.next).toBeUndefined();
    const open = await ctx.repos.tasks.list({ status: "open" });
    expect(open.items.map((task) => task.title)).toEqual(["task 1", "task 3"]);
    await expect(ctx.repos.tasks.list({ limit: 0 })).rejects.toMatchObject({ code: "PAGE_LIMIT_INVALID" });
  });

  it("a task walks its lifecycle one step at a time and refuses skips and reversals", async () => {
    const task = await ctx.repos.tasks.create(newTask());
    await expect(ctx.repos.tasks.transition(task.id, "validating")).rejects.toMatchObject({
      name: "ConflictError",
      code: "TASK_TRANSITION_INVALID",
    });
    for (const status of ["open", "validating", "finalized", "closed"] as const) {
      expect((await ctx.repos.tasks.transition(task.id, status)).status).toBe(status);
    }
    await expect(ctx.repos.tasks.transition(task.id, "open")).rejects.toMatchObject({
      code: "TASK_TRANSITION_INVALID",
    });
    expect(canTransitionTask("closed", "open")).toBe(false);
  });

  it("two workers racing to move a task past its deadline: exactly one wins", async () => {
    const task = await ctx.repos.tasks.create(newTask({ status: "open" }));
    const results = await Promise.allSettled([
      ctx.repos.tasks.transition(task.id, "validating"),
      ctx.repos.tasks.transition(task.id, "validating"),
    ]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const failure = results.find((result) => result.status === "rejected");
    expect(failure?.reason).toMatchObject({ name: "ConflictError" });
    expect((await ctx.repos.tasks.get(task.id)).status).toBe("validating");
  });

  it("the hidden validation set id is recorded after creation", async () => {
    const task = await ctx.repos.tasks.create(newTask());
    expect(task.hiddenValidationSetId).toBeNull();
    const updated = await ctx.repos.tasks.setHiddenValidationSet(task.id, cid("hidden set"));
    expect(updated.hiddenValidationSetId).toBe(cid("hidden set"));
  });
}
