import { expect, it } from "vitest";
import { account, at, cid, newTask, type StoreTestContext } from "./testing/fixtures.ts";

export function flCases(ctx: StoreTestContext): void {
  async function federatedTask() {
    const task = await ctx.repos.tasks.create(newTask({ kind: "federated", type: "classifier" }));
    const terms = await ctx.repos.fl.createTerms({
      taskId: task.id,
      modelType: "classifier",
      rounds: 3,
      roundSeconds: 60,
      minParticipants: 3,
      maxParticipants: 10,
      strategy: { name: "fedavg", params: { fractionTrain: 1 } },
      privacy: { mode: "secagg" },
      payRule: "stake",
      proposerFractionBps: 5000,
      trainConfig: { learningRate: 0.1, localEpochs: 2 },
      globalModel: cid("base"),
      remainingPool: 10n ** 24n,
    });
    return { task, terms };
  }

  it("a federated task is a task of kind federated with its terms; Arena listings can leave it out", async () => {
    const arena = await ctx.repos.tasks.create(newTask());
    const { task, terms } = await federatedTask();
    expect(task.kind).toBe("federated");
    expect(arena.kind).toBe("arena");
    expect(await ctx.repos.fl.getTerms(task.id)).toEqual(terms);
    expect(terms).toMatchObject({ currentRound: 0, acceptedRounds: 0, remainingPool: 10n ** 24n });
    expect((await ctx.repos.tasks.list({ kind: "arena" })).items.map((t) => t.id)).toEqual([arena.id]);
    expect((await ctx.repos.fl.listTerms()).map((t) => t.taskId)).toEqual([task.id]);
    const moved = await ctx.repos.fl.setProgress(task.id, {
      currentRound: 2,
      globalModel: cid("g2"),
      remainingPool: 5n,
    });
    expect(moved).toMatchObject({ currentRound: 2, globalModel: cid("g2"), remainingPool: 5n });
    await expect(ctx.repos.fl.getTerms(task.id + 1000)).rejects.toMatchObject({ code: "FL_TASK_NOT_FOUND" });
  });

  it("joins are idempotent and missed rounds are counted per participant", async () => {
    const { task } = await federatedTask();
    const first = await ctx.repos.fl.join(task.id, account(2).toUpperCase().replace("0X", "0x"), at(1));
    expect(await ctx.repos.fl.join(task.id, account(2), at(5))).toEqual(first);
    await ctx.repos.fl.join(task.id, account(3), at(2));
    await ctx.repos.fl.addMissed(task.id, [account(3)]);
    await ctx.repos.fl.addMissed(task.id, [account(3)]);
    expect((await ctx.repos.fl.participants(task.id)).map((p) => [p.account, p.missed])).toEqual([
      [account(2), 0],
      [account(3), 2],
    ]);
  });

  it("a round reads back with its roles, bigints and outcome; a status-guarded update refuses a race", async () => {
    const { task } = await federatedTask();
    const created = await ctx.repos.fl.createRound({
      taskId: task.id,
      round: 1,
      seed: `0x${"ab".repeat(32)}`,
      seedBlock: 42n,
      startedAt: at(0),
      deadline: at(1),
      proposers: [{ account: account(2), stake: 10n ** 21n }],
      voters: [{ account: account(3), stake: 2n ** 100n }],
      baseModel: cid("base"),
    });
    expect(created).toMatchObject({ status: "training", seedBlock: 42n, tally: null, candidateModel: null });
    expect(created.voters).toEqual([{ account: account(3), stake: 2n ** 100n, vote: null }]);
    await expect(ctx.repos.fl.createRound({ ...created, proposers: [], voters: [] })).rejects.toMatchObject({
      code: "FL_ROUND_EXISTS",
    });
    const ended = await ctx.repos.fl.updateRound(
      task.id,
      1,
      {
        status: "rejected",
        tally: -(2n ** 100n),
        voters: [{ account: account(3), stake: 2n ** 100n, vote: -1, metrics: { loss: 0.5 } }],
        rewards: [{ account: account(3), amount: 7n }],
        slashes: [{ account: account(2), amount: 10n ** 20n, fractionBps: 1000 }],
        candidateModel: cid("candidate"),
        contributors: [account(2)],
        endedAt: at(1),
      },
      ["training"],
    );
    expect(await ctx.repos.fl.getRound(task.id, 1)).toEqual(ended);
    expect(ended.tally).toBe(-(2n ** 100n));
    await expect(
      ctx.repos.fl.updateRound(task.id, 1, { status: "accepted" }, ["training"]),
    ).rejects.toMatchObject({
      code: "FL_ROUND_CHANGED",
    });
    expect((await ctx.repos.fl.unsettledRounds()).map((r) => r.round)).toEqual([1]);
    await expect(ctx.repos.fl.getRound(task.id, 2)).rejects.toMatchObject({ code: "FL_ROUND_NOT_FOUND" });
  });

  it("a round keeps the server-optimizer state it reached; the next round finds the last accepted round's", async () => {
    const { task } = await federatedTask();
    const round = (n: number) =>
      ctx.repos.fl.createRound({
        taskId: task.id,
        round: n,
        seed: null,
        seedBlock: null,
        startedAt: at(n),
        deadline: at(n + 1),
        proposers: [],
        voters: [],
        baseModel: cid("base"),
      });
    expect((await round(1)).serverState).toBeNull();
    expect(await ctx.repos.fl.lastAcceptedRound(task.id, 2)).toBeUndefined();
    await ctx.repos.fl.updateRound(task.id, 1, { status: "accepted", serverState: cid("s1") });
    await round(2);
    await ctx.repos.fl.updateRound(task.id, 2, { status: "rejected", serverState: cid("s2") });
    await round(3);
    await ctx.repos.fl.updateRound(task.id, 3, { status: "voting", serverState: cid("s3") });
    // Round 2 was rejected and round 3 is still being voted on: round 4 continues from round 1's state.
    expect((await ctx.repos.fl.lastAcceptedRound(task.id, 4))?.serverState).toBe(cid("s1"));
    expect(await ctx.repos.fl.lastAcceptedRound(task.id, 1)).toBeUndefined();
    await ctx.repos.fl.updateRound(task.id, 3, { status: "accepted" });
    expect(await ctx.repos.fl.lastAcceptedRound(task.id, 4)).toMatchObject({
      round: 3,
      serverState: cid("s3"),
    });
    await expect(
      ctx.repos.fl.updateRound(task.id, 3, { serverState: "not-a-content-id" }),
    ).rejects.toBeDefined();
  });

  it("a contribution round keeps its coalitions, the voters' evaluations and the proposers' values", async () => {
    const { task } = await federatedTask();
    const created = await ctx.repos.fl.createRound({
      taskId: task.id,
      round: 1,
      seed: null,
      seedBlock: null,
      startedAt: at(0),
      deadline: at(1),
      proposers: [
        { account: account(2), stake: 5n },
        { account: account(4), stake: 5n },
      ],
      voters: [{ account: account(3), stake: 7n }],
      baseModel: cid("base"),
    });
    expect(created.coalitions).toEqual([]);
    const coalitions = [
      { members: [account(2)], model: cid("c1") },
      { members: [account(2), account(4)], model: cid("c3") },
    ];
    await ctx.repos.fl.updateRound(task.id, 1, { status: "voting", coalitions });
    const ended = await ctx.repos.fl.updateRound(task.id, 1, {
      status: "accepted",
      voters: [
        { account: account(3), stake: 7n, vote: 1, evaluations: { [cid("c1")]: 0.25, [cid("c3")]: 1e-9 } },
      ],
      contributions: [
        { account: account(2), valueWad: -(10n ** 18n) },
        { account: account(4), valueWad: 3n * 10n ** 9n },
      ],
    });
    expect(ended.coalitions).toEqual(coalitions);
    expect(ended.voters[0]!.evaluations).toEqual({ [cid("c1")]: 0.25, [cid("c3")]: 1e-9 });
    expect(ended.contributions).toEqual([
      { account: account(2), valueWad: -(10n ** 18n) },
      { account: account(4), valueWad: 3n * 10n ** 9n },
    ]);
    expect(await ctx.repos.fl.getRound(task.id, 1)).toEqual(ended);
    await expect(
      ctx.repos.fl.updateRound(task.id, 1, { coalitions: [{ members: [account(2)], model: "nope" }] }),
    ).rejects.toBeDefined();
  });

  it("a message is created once per (round, stage, node) and takes one reply, before its deadline, from its node", async () => {
    const { task } = await federatedTask();
    const message = {
      taskId: task.id,
      round: 1,
      stage: "train",
      node: account(2),
      kind: "train" as const,
      arraysId: cid("global"),
      config: { learningRate: 0.1 },
      body: null,
      deadline: at(10),
    };
    const sent = await ctx.repos.fl.ensureMessage(message);
    expect(await ctx.repos.fl.ensureMessage({ ...message, config: { learningRate: 9 } })).toEqual(sent);
    expect((await ctx.repos.fl.pendingMessages(task.id, account(2), at(0))).map((m) => m.id)).toEqual([
      sent.id,
    ]);
    expect(await ctx.repos.fl.pendingMessages(task.id, account(2), at(11))).toEqual([]);
    await expect(ctx.repos.fl.reply(sent.id, account(3), { x: 1 }, at(1))).rejects.toMatchObject({
      code: "FL_MESSAGE_NOT_FOUND",
    });
    await expect(ctx.repos.fl.reply(sent.id, account(2), { x: 1 }, at(10))).rejects.toMatchObject({
      code: "FL_REPLY_LATE",
    });
    const answered = await ctx.repos.fl.reply(sent.id, account(2), { update: { arraysId: cid("u") } }, at(1));
    expect(answered.reply).toEqual({ update: { arraysId: cid("u") } });
    await expect(ctx.repos.fl.reply(sent.id, account(2), { x: 2 }, at(2))).rejects.toMatchObject({
      code: "FL_REPLY_EXISTS",
    });
    expect(await ctx.repos.fl.pendingMessages(task.id, account(2), at(0))).toEqual([]);
    expect((await ctx.repos.fl.stageMessages(task.id, 1, "train")).map((m) => m.reply)).toEqual([
      { update: { arraysId: cid("u") } },
    ]);
  });
}
