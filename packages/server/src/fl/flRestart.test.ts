import { afterAll, describe, expect, it } from "vitest";
import { type FlScenario, restartCoordinator, startFlScenario } from "../testing/flScenario.ts";

const TARGET = [1, 2, 3, 4];

/**
 * SPEC §2.2 failures: a coordinator that stops mid-round (here between the proposers' updates and the vote, and
 * again in the middle of secure aggregation's stages) resumes the round from its store — the messages it sent,
 * the replies it holds — and nobody has to answer twice; a participant that crashes and comes back resumes at the
 * next round.
 */
describe("FL rounds survive a coordinator restart (over real HTTP)", () => {
  let s: FlScenario;
  afterAll(() => s?.dispose());

  it("resumes a SecAgg+ round mid-protocol and a vote mid-commit from the store", async () => {
    s = await startFlScenario({
      participants: [0.3, -0.2, 0.1, -0.1, 0.05].map((d) => ({ target: TARGET.map((v) => v + d) })),
      rounds: 2,
      proposerFractionBps: 6000,
      privacy: { mode: "secagg" },
    });
    // Stop once the key exchange is answered (the masked inputs not yet asked for).
    await s.play({
      until: async () => (await s.t.repos.fl.stageMessages(s.taskId, 1, "share-keys")).length > 0,
    });
    const before = await s.t.repos.fl.taskMessages(s.taskId);
    // A voter crashes with the coordinator and comes back only after round 1.
    const round1 = await s.t.repos.fl.getRound(s.taskId, 1);
    const crashed = s.participants.find((p) => p.address === round1.voters[0]!.account)!;
    crashed.behaviour.silentFrom = 1;
    await restartCoordinator(s);
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.status === "voting" });
    // Nothing sent before the restart was sent again: the same rows, with the same content.
    const after = await s.t.repos.fl.taskMessages(s.taskId);
    for (const m of before) {
      const same = after.find((a) => a.id === m.id)!;
      expect({ ...same, reply: null, repliedAt: null }).toEqual({ ...m, reply: null, repliedAt: null });
    }
    expect(new Set(after.map((m) => `${m.round}/${m.stage}/${m.node}`)).size).toBe(after.length);
    await restartCoordinator(s);
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.endedAt != null });
    crashed.behaviour = {};
    await s.play();
    const rounds = await s.rounds();
    expect(rounds.map((r) => r.status)).toEqual(["accepted", "accepted"]);
    expect((await s.task()).status).toBe("closed");
    // The crashed voter missed round 1 (a failed duty) and took part in round 2.
    expect(rounds[0]!.voters.find((v) => v.account === crashed.address)!.vote).toBeNull();
    expect(rounds[0]!.slashes.map((x) => x.account)).toEqual([crashed.address]);
    const answered = (await s.t.repos.fl.taskMessages(s.taskId)).filter(
      (m) => m.round === 2 && m.node === crashed.address && m.reply !== null,
    );
    expect(answered.length).toBeGreaterThan(0);
  });
});
