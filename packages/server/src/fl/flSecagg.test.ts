import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeArrays, toBase64 } from "@flock/fl";
import { afterAll, describe, expect, it } from "vitest";
import { type FlScenario, startFlScenario } from "../testing/flScenario.ts";
import { vectorModel } from "../testing/flTestParticipant.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";

const TARGET = [1, 2, 3, 4];

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/**
 * SPEC §2.2 under secure aggregation (SecAgg+), over real HTTP: a proposer drops out mid-round (after the key
 * exchange, before its masked input) and the round still completes from the others' masked inputs; the
 * coordinator's store — every message row, every reply and every stored file — holds no individual update.
 */
describe("a secure-aggregation federated task (over real HTTP)", () => {
  let s: FlScenario;
  afterAll(() => s?.dispose());

  it("completes a round through a mid-round dropout, and stores no participant's update", async () => {
    s = await startFlScenario({
      participants: [0.3, -0.2, 0.1, -0.1, 0.05].map((d) => ({ target: TARGET.map((v) => v + d) })),
      rounds: 2,
      proposerFractionBps: 8000,
      privacy: { mode: "secagg" },
    });
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.seed != null });
    const round1 = await s.t.repos.fl.getRound(s.taskId, 1);
    expect(round1.proposers).toHaveLength(4);
    const dropper = s.participants.find((p) => p.address === round1.proposers[0]!.account)!;
    dropper.behaviour.dropAtStage = "masked-input";
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.endedAt != null });
    dropper.behaviour = {};
    await s.play();

    const rounds = await s.rounds();
    expect(rounds[0]!.status).toBe("accepted");
    // The sum was recovered from the three who sent masked inputs; the dropout failed its duty.
    expect(rounds[0]!.contributors.sort()).toEqual(
      round1.proposers
        .map((p) => p.account)
        .filter((a) => a !== dropper.address)
        .sort(),
    );
    expect(rounds[0]!.slashes.map((x) => x.account)).toEqual([dropper.address]);
    expect((await s.task()).acceptedRounds).toBe(2);

    // What each proposer's update would have been (its training is deterministic): none of it is stored.
    const updates: Float32Array[] = [];
    for (const round of await s.t.repos.fl.listRounds(s.taskId)) {
      const base = decodeArrays(await s.t.artifacts.read(round.baseModel)).arrays.get("w")!.data;
      for (const proposer of round.proposers) {
        const t = s.participants.find((p) => p.address === proposer.account)!.target;
        updates.push(Float32Array.from(base, (v, i) => v + 0.5 * (t[i]! - v)));
      }
    }
    const messages = await s.t.repos.fl.taskMessages(s.taskId);
    expect(messages.length).toBeGreaterThan(0);
    const rows = JSON.stringify(messages);
    expect(rows).not.toContain('"update"');
    for (const u of updates) expect(rows).not.toContain(toBase64(new Uint8Array(u.buffer)));
    const files = await filesUnder(join(s.t.dataDir, "artifacts"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = new Uint8Array(await readFile(file));
      let w: Float32Array | undefined;
      try {
        w = decodeArrays(bytes).arrays.get("w")?.data;
      } catch {
        w = undefined;
      }
      for (const u of updates) {
        if (w !== undefined) expect([...w]).not.toEqual([...u]);
        expect(Buffer.from(bytes).includes(Buffer.from(u.buffer))).toBe(false);
      }
    }
  });

  it("with differential privacy: nodes clip before masking, the coordinator adds noise to the sum and reports ε within the budget", async () => {
    await s.dispose();
    s = await startFlScenario({
      participants: [0.3, -0.2, 0.1, -0.1, 0.05].map((d) => ({
        target: TARGET.map((v) => v + d),
        behaviour: { clip: true },
      })),
      rounds: 2,
      proposerFractionBps: 8000,
      privacy: { mode: "secagg+dp", targetEpsilon: 50, delta: 1e-5, clipNorm: 1 },
    });
    await s.play();
    const rounds = await s.rounds();
    expect(rounds.length).toBeGreaterThanOrEqual(2);
    const spent = rounds.filter((r) => r.candidateModel !== null).map((r) => r.metrics.epsilon!);
    expect(spent.every((e) => e > 0 && e <= 50)).toBe(true);
    for (let i = 1; i < spent.length; i++) expect(spent[i]!).toBeGreaterThan(spent[i - 1]!);
    // Each accepted round moved the model by at most C (clipped updates) plus noise: not to the targets at once.
    expect((await s.task()).status).toBe("closed");
  });

  it("refuses a DP task without a budget, or with one no noise can keep", async () => {
    const body = {
      title: "dp",
      description: "",
      modelType: "regressor",
      baseModel: await s.t.publish(vectorModel([0, 0, 0, 0])),
      rounds: 2,
      roundSeconds: 60,
      minParticipants: 4,
      maxParticipants: 4,
      joinDeadline: new Date(s.clock.now().getTime() + 600_000).toISOString(),
      rewardWeight: "0",
      pool: "1",
      minStake: "1",
      minLockDays: 0,
      strategy: { name: "fedavg" },
      payRule: "stake",
      proposerFractionBps: 7500,
    };
    for (const privacy of [{ mode: "secagg+dp" }, { mode: "secagg+dp", targetEpsilon: 1e-6, delta: 1e-9 }]) {
      const refused = await s.http.signed(operatorAccount, "POST", "/fl/tasks", { ...body, privacy });
      expect([refused.status, (refused.json() as { code: string }).code]).toEqual([
        400,
        "FL_PRIVACY_INVALID",
      ]);
    }
  });
});
