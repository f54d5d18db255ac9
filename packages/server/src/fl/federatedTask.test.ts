import { computeEpoch, epochInputsFromReport } from "@flock/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { type FlScenario, startFlScenario } from "../testing/flScenario.ts";
import { squaredDistance } from "../testing/flTestParticipant.ts";

const WAD = 10n ** 18n;
const TARGET = [1, 2, 3, 4];

/**
 * SPEC §2.2 end to end over real HTTP (127.0.0.1): a federated task is created, funded and opened; four
 * participants stake and join; at the join deadline stakes are frozen and rounds start; each round splits them
 * into proposers and voters from the public seed, proposers train on their private data and upload updates,
 * FedAvg aggregates, voters vote by commit-reveal, and the outcome pays the round's share of the pool.
 */
describe("a federated task over HTTP", () => {
  let s: FlScenario;
  afterAll(() => s?.dispose());

  it("plays every round to the end: roles from the seed, accepted candidates, pool paid round by round", async () => {
    s = await startFlScenario({
      participants: [
        { target: TARGET.map((v) => v + 0.1) },
        { target: TARGET.map((v) => v - 0.1) },
        { target: TARGET },
        { target: TARGET.map((v) => v + 0.05) },
      ],
      rounds: 2,
    });
    expect((await s.task()).status).toBe("open");
    expect((await s.task()).participants).toBe(4);
    await s.play();
    const task = await s.task();
    const failed = await s.t.repos.jobs.list({ status: "failed" });
    expect(failed.map((j) => `${j.kind}: ${j.lastError}`)).toEqual([]);
    // Settled by the network's epoch (epochs close at once on this test network) and closed.
    expect(task.status).toBe("closed");
    expect(task.acceptedRounds).toBe(2);
    const rounds = await s.rounds();
    expect(rounds.map((r) => r.status)).toEqual(["accepted", "accepted"]);
    for (const round of rounds) {
      expect(round.seed).toMatch(/^0x[0-9a-f]{64}$/);
      expect(round.proposers).toHaveLength(2);
      expect(round.voters).toHaveLength(2);
      expect(round.contributors.sort()).toEqual(round.proposers.map((p) => p.account).sort());
      expect(round.voters.every((v) => v.vote === 1)).toBe(true);
      expect(round.slashes).toEqual([]);
      // Proposers and approving voters share the round reward pro-rata stake (equal stakes: equal shares).
      expect(round.rewards).toHaveLength(4);
    }
    // Round reward = remaining pool / rounds left: 500 then 500 FLOCK.
    const paid = rounds.flatMap((r) => r.rewards).reduce((sum, r) => sum + BigInt(r.amount), 0n);
    expect(paid).toBe(1000n * WAD);
    expect(task.remainingPool).toBe("0");
    // The global model moved from 0 to near the participants' targets: each round halves the distance.
    const global = await s.http.bytes(`/fl/tasks/${s.taskId}/arrays/${task.globalModel}`);
    expect(global.status).toBe(200);
    const { decodeArrays } = await import("@flock/fl");
    const w = decodeArrays(global.bytes).arrays.get("w")!.data;
    expect(squaredDistance(w, TARGET)).toBeLessThan(squaredDistance([0, 0, 0, 0], TARGET) / 10);

    // The epoch report settles the task: its pool (drawn on-chain in full) pays the rounds by FLock's rule, the
    // report recomputes from its own inputs, and every participant is paid what its rounds earned.
    const [epoch] = await s.t.repos.epochs.list({ taskId: s.taskId });
    expect(epoch).toBeDefined();
    const report = JSON.parse(new TextDecoder().decode(await s.t.artifacts.read(epoch!.reportId)));
    expect(computeEpoch(epochInputsFromReport(report)).reportHash).toBe(epoch!.reportHash);
    const fl = report.stages.fl as { task: string; pool: string; rounds: unknown[]; left: string }[];
    expect(fl).toHaveLength(1);
    expect(fl[0]!.task).toBe(String(s.taskId));
    expect(fl[0]!.pool).toBe((1000n * WAD).toString());
    expect(fl[0]!.rounds).toHaveLength(2);
    expect(s.chain.posted.at(-1)!.pools).toEqual([{ taskId: s.taskId, amount: 1000n * WAD }]);
    const rewards = await s.t.repos.rewards.listForEpoch(epoch!.number);
    const earned = (account: string) =>
      rounds
        .flatMap((r) => r.rewards)
        .filter((r) => r.account === account)
        .reduce((sum, r) => sum + BigInt(r.amount), 0n);
    for (const p of s.participants) {
      const got = rewards.filter((r) => r.account === p.address).reduce((sum, r) => sum + r.amount, 0n);
      expect(got).toBe(earned(p.address));
    }
  });
});
