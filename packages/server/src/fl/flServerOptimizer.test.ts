import type { wire } from "@flock/core";
import {
  type Arrays,
  decodeArrays,
  decodeStrategyState,
  FedAdam,
  type FedOptOptions,
  flatten,
  type Reply,
} from "@flock/fl";
import { afterAll, describe, expect, it } from "vitest";
import { type FlScenario, restartCoordinator, startFlScenario } from "../testing/flScenario.ts";
import { squaredDistance, vectorModel } from "../testing/flTestParticipant.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";

const WAD = 10n ** 18n;
const TARGET = [1, 2, 3, 4];
const PARAMS = { eta: 0.5, beta1: 0.9, beta2: 0.99, tau: 0.01 } satisfies FedOptOptions;

/** A round's training replies as the coordinator stored them, in the order it sent the messages. */
async function storedReplies(s: FlScenario, round: number): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (const m of await s.t.repos.fl.stageMessages(s.taskId, round, "train")) {
    const update = (m.reply as { update?: { arraysId: string; numExamples: number } } | null)?.update;
    if (update === undefined) continue;
    const { arrays } = decodeArrays(await s.t.artifacts.read(update.arraysId));
    replies.push({
      nodeId: m.node,
      kind: "train",
      round,
      update: { arrays, numExamples: update.numExamples, metrics: {} },
    });
  }
  return replies;
}

async function arraysOf(s: FlScenario, id: string): Promise<Arrays> {
  return decodeArrays(await s.t.artifacts.read(id)).arrays;
}

/** FedAdam as the simulator runs it (one object for the whole run) over `rounds`' stored updates. */
async function inProcess(s: FlScenario, rounds: readonly wire.FlRound[] | { round: number }[]) {
  const adam = new FedAdam({ ...PARAMS, fractionEvaluate: 0, minTrainNodes: 1, minAvailableNodes: 1 });
  const candidates: number[][] = [];
  for (const { round } of rounds) {
    const stored = await s.t.repos.fl.getRound(s.taskId, round);
    const ids = stored.proposers.map((p) => p.account);
    const grid = { nodeIds: async () => ids, sendAndReceive: async () => [] };
    await adam.configureTrain(round, await arraysOf(s, stored.baseModel), {}, grid);
    candidates.push([...flatten(adam.aggregateTrain(round, await storedReplies(s, round)).arrays!)]);
  }
  return { adam, candidates };
}

/**
 * Server optimizers on the network (SPEC §2.2, a task's strategy and its parameters): a FedAdam task plays over
 * real HTTP with a rejected round and a coordinator restart in the middle of a round, and every candidate is
 * what one uninterrupted FedAdam makes of the accepted rounds' updates — the moments live in the store, advance
 * only with an accepted round, and survive the restart.
 */
describe("server optimizers on the network (over real HTTP)", () => {
  let s: FlScenario;
  afterAll(() => s?.dispose());

  it("a FedAdam task keeps its moments across a rejected round and a restart, as the simulator's FedAdam", async () => {
    s = await startFlScenario({
      participants: [0.1, -0.1, 0, 0.05].map((d) => ({ target: TARGET.map((v) => v + d) })),
      rounds: 3,
      strategy: { name: "fedadam", params: PARAMS },
    });
    expect((await s.task()).strategy).toEqual({ name: "fedadam", params: PARAMS });
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.endedAt != null });
    // Round 2: the voters vote against an honest candidate, so the round is rejected and redone as round 3.
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 2))?.seed != null });
    const round2 = await s.t.repos.fl.getRound(s.taskId, 2);
    const voters2 = s.participants.filter((p) => round2.voters.some((v) => v.account === p.address));
    for (const p of voters2) p.behaviour.voteAgainst = true;
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 2))?.endedAt != null });
    for (const p of voters2) p.behaviour.voteAgainst = false;
    // The coordinator stops once round 3 has sent its training messages, and a new one finishes the task.
    await s.play({
      until: async () => (await s.t.repos.fl.stageMessages(s.taskId, 3, "train")).length > 0,
    });
    await restartCoordinator(s);
    await s.play();

    const failed = await s.t.repos.jobs.list({ status: "failed" });
    expect(failed.map((j) => `${j.kind}: ${j.lastError}`)).toEqual([]);
    const task = await s.task();
    expect(task.status).toBe("closed");
    const rounds = await s.rounds();
    expect(rounds.map((r) => r.status)).toEqual(["accepted", "rejected", "accepted", "accepted"]);
    const accepted = rounds.filter((r) => r.status === "accepted");

    // Every round stored the state its candidate left, as float64 moments m and v.
    const records = await s.t.repos.fl.listRounds(s.taskId);
    for (const r of records) {
      const state = decodeStrategyState(await s.t.artifacts.read(r.serverState!));
      expect(state.strategy).toBe("FedAdam");
      expect(Object.keys(state.vectors).sort()).toEqual(["m", "v"]);
      expect(state.vectors.m).toBeInstanceOf(Float64Array);
    }
    // The accepted candidates are exactly what one uninterrupted FedAdam makes of the accepted rounds' updates
    // (the simulator's round loop keeps one strategy object): the rejected round's step was dropped.
    const straight = await inProcess(s, accepted);
    for (const [i, r] of accepted.entries()) {
      expect([...flatten(await arraysOf(s, r.candidateModel!))]).toEqual(straight.candidates[i]);
    }
    expect(decodeStrategyState(await s.t.artifacts.read(records.at(-1)!.serverState!)).vectors).toEqual(
      straight.adam.exportState().vectors,
    );
    // The rejected round's candidate continued from round 1's state; had its step been kept, round 3 would differ.
    const upTo2 = await inProcess(s, [{ round: 1 }, { round: 2 }]);
    expect([...flatten(await arraysOf(s, rounds[1]!.candidateModel!))]).toEqual(upTo2.candidates[1]);
    const keptRejected = await inProcess(s, [{ round: 1 }, { round: 2 }, { round: 3 }]);
    expect(keptRejected.candidates[2]).not.toEqual(straight.candidates[1]);
    // The global model is the last accepted candidate and moved toward the participants' targets.
    expect(task.globalModel).toBe(accepted.at(-1)!.candidateModel);
    const w = (await arraysOf(s, task.globalModel)).get("w")!.data;
    expect(squaredDistance(w, TARGET)).toBeLessThan(squaredDistance([0, 0, 0, 0], TARGET) / 2);
  });

  it("FedAvgM with momentum runs under SecAgg+: it steps on the unmasked mean and keeps its momentum between rounds", async () => {
    const secure = await startFlScenario({
      participants: [0.3, -0.2, 0.1, -0.1, 0.05].map((d) => ({ target: TARGET.map((v) => v + d) })),
      rounds: 2,
      proposerFractionBps: 6000,
      privacy: { mode: "secagg" },
      strategy: { name: "fedavgm", params: { serverLearningRate: 0.8, serverMomentum: 0.5 } },
    });
    try {
      await secure.play();
      expect((await secure.task()).status).toBe("closed");
      const rounds = await secure.t.repos.fl.listRounds(secure.taskId);
      expect(rounds.map((r) => r.status)).toEqual(["accepted", "accepted"]);
      // In process: each contributor's update is w + 0.5·(t − w) (the coordinator never saw one), their mean
      // is the unmasked sum's, and FedAvgM steps x ← x − η·v with v ← g, then v ← β·v + g (g = x − mean).
      let x = [0, 0, 0, 0];
      let v: number[] | undefined;
      for (const r of rounds) {
        const targets = r.contributors.map((a) => secure.participants.find((p) => p.address === a)!.target);
        const mean = x.map(
          (xi, i) => xi + 0.5 * (targets.reduce((sum, t) => sum + t[i]!, 0) / targets.length - xi),
        );
        const g = x.map((xi, i) => xi - mean[i]!);
        v = v === undefined ? g : v.map((vi, i) => 0.5 * vi + g[i]!);
        const withoutMomentum = x.map((xi, i) => xi - 0.8 * g[i]!);
        x = x.map((xi, i) => Math.fround(xi - 0.8 * v![i]!));
        const candidate = (await arraysOf(secure, r.candidateModel!)).get("w")!.data;
        // SecAgg+ quantizes the updates: equal to its rounding (~1e-4), far from a step without momentum.
        const gap = (a: ArrayLike<number>, b: readonly number[]) =>
          Math.max(...Array.from(a, (ai, i) => Math.abs(ai - b[i]!)));
        expect(gap(candidate, x)).toBeLessThan(1e-3);
        if (r.round > 1) expect(gap(candidate, withoutMomentum)).toBeGreaterThan(0.05);
        const state = decodeStrategyState(await secure.t.artifacts.read(r.serverState!));
        expect(Object.keys(state.vectors).sort()).toEqual(["model", "momentum"]);
        expect(gap(state.vectors.momentum!, v)).toBeLessThan(1e-3);
      }
    } finally {
      await secure.dispose();
    }
  });

  it("refuses a server optimizer's bad parameters, and one under differential privacy, with what to change", async () => {
    const body = async (strategy: unknown, privacy: unknown = { mode: "plain" }) => ({
      title: "bad optimizer",
      description: "refused",
      modelType: "regressor",
      baseModel: await s.t.publish(vectorModel([0, 0, 0, 0])),
      rounds: 2,
      roundSeconds: 60,
      minParticipants: 6,
      maxParticipants: 10,
      joinDeadline: new Date(s.clock.now().getTime() + 600_000).toISOString(),
      rewardWeight: "1",
      pool: "0",
      minStake: (100n * WAD).toString(),
      minLockDays: 0,
      strategy,
      privacy,
      payRule: "stake",
    });
    const before = (await s.t.repos.fl.listTerms()).length;
    const cases: [unknown, unknown, string, RegExp][] = [
      [{ name: "fedadam", params: { beta1: 1.5 } }, undefined, "FL_STRATEGY_PARAM_INVALID", /\[0, 1\)/],
      [{ name: "fedyogi", params: { eta: 0 } }, undefined, "FL_STRATEGY_PARAM_INVALID", /published default/],
      [{ name: "fedadam", params: { eta_l: 0.1 } }, undefined, "FL_STRATEGY_PARAM_INVALID", /etaL/],
      [
        { name: "fedadagrad", params: { beta1: 0.9 } },
        undefined,
        "FL_STRATEGY_PARAM_INVALID",
        /eta, etaL, tau/,
      ],
      [
        { name: "fedavgm", params: { serverMomentum: 1 } },
        undefined,
        "FL_STRATEGY_PARAM_INVALID",
        /momentum/,
      ],
      [{ name: "fedadam", params: { tau: "big" } }, undefined, "FL_STRATEGY_PARAM_INVALID", /numeric/],
      [
        { name: "fedadam" },
        { mode: "secagg+dp", targetEpsilon: 8, delta: 1e-5, clipNorm: 1 },
        "FL_STRATEGY_UNSUPPORTED",
        /fedavg or fedprox/,
      ],
      [{ name: "fedsgd" }, undefined, "FL_STRATEGY_UNSUPPORTED", /fedadam/],
    ];
    for (const [strategy, privacy, code, hint] of cases) {
      const res = await s.http.signed(operatorAccount, "POST", "/fl/tasks", await body(strategy, privacy));
      expect(res.status, JSON.stringify(strategy)).toBe(400);
      const error = res.json() as { code: string; hint?: string; message: string };
      expect(error.code).toBe(code);
      expect(`${error.message} ${error.hint}`).toMatch(hint);
    }
    // Nothing was created.
    expect((await s.t.repos.fl.listTerms()).length).toBe(before);
  });
});
