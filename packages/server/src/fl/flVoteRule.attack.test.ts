import { afterEach, describe, expect, it } from "vitest";
import { type FlScenario, startFlScenario } from "../testing/flScenario.ts";

const TARGET = [1, 2, 3, 4];
const honest = (d: number) => ({ target: TARGET.map((v) => v + d) });

/** Plays until round `n` has its roles, then returns them. */
async function rolesOf(s: FlScenario, n: number) {
  await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, n))?.seed != null });
  const round = await s.t.repos.fl.getRound(s.taskId, n);
  const byAddress = (a: string) => s.participants.find((p) => p.address === a)!;
  return {
    proposers: round.proposers.map((p) => byAddress(p.account)),
    voters: round.voters.map((v) => byAddress(v.account)),
  };
}

/**
 * SPEC §2.2 [FLock]'s vote rule in both directions, as attackers try it over real HTTP: proposers who poison the
 * model are voted down (the round is redone from the last accepted model) and slashed on-chain with published
 * evidence; a voter who votes against its own evaluation in an accepted round is slashed; a voter whose reveal
 * does not open its commitment failed its duty and is slashed for that, its vote not counted.
 */
describe("the FL vote rule against attackers (over real HTTP)", () => {
  let s: FlScenario | undefined;
  afterEach(async () => {
    await s?.dispose();
    s = undefined;
  });

  it("poisoned updates are voted down, the round is redone from the last global model and the proposers are slashed", async () => {
    s = await startFlScenario({
      participants: [honest(0.1), honest(-0.1), honest(0), honest(0.05)],
      rounds: 1,
    });
    const before = (await s.task()).globalModel;
    const { proposers, voters } = await rolesOf(s, 1);
    for (const p of proposers) p.behaviour.poison = 100;
    await s.play({ until: async () => (await s!.t.repos.fl.findRound(s!.taskId, 1))?.endedAt != null });
    for (const p of proposers) p.behaviour.poison = undefined;
    const [round1] = await s.rounds();
    expect(round1).toMatchObject({ status: "rejected" });
    expect(BigInt(round1!.tally!)).toBeLessThan(0n);
    expect(round1!.voters.map((v) => v.vote)).toEqual([-1, -1]);
    // The global model did not move; the rejecting voters share the round reward; the proposers are slashed.
    expect((await s.task()).globalModel).toBe(before);
    expect(round1!.rewards.map((r) => r.account).sort()).toEqual(voters.map((v) => v.address).sort());
    expect(round1!.slashes.map((x) => x.account).sort()).toEqual(proposers.map((p) => p.address).sort());
    await s.play();
    // On-chain (the recording gateway), each with the vote-rule fraction and an evidence hash.
    const slashed = s.chain.slashed.filter((x) => x.taskId === s!.taskId);
    expect(slashed.map((x) => x.account.toLowerCase()).sort()).toEqual(
      proposers.map((p) => p.address).sort(),
    );
    expect(slashed.every((x) => x.fractionBps === 1000 && /^0x[0-9a-f]{64}$/.test(x.evidenceHash))).toBe(
      true,
    );
    // The redo (round 2) was accepted and the task finished.
    const rounds = await s.rounds();
    expect(rounds.map((r) => r.status)).toEqual(["rejected", "accepted"]);
    expect((await s.task()).status).toBe("closed");
  });

  it("a voter voting against its evaluation is slashed in an accepted round; a reveal that does not open its commitment counts as none", async () => {
    s = await startFlScenario({
      participants: [honest(0.1), honest(-0.1), honest(0), honest(0.05), honest(-0.05), honest(0.02)],
      rounds: 1,
      proposerFractionBps: 3400,
    });
    const { proposers, voters } = await rolesOf(s, 1);
    expect(proposers).toHaveLength(2);
    expect(voters).toHaveLength(4);
    const [liar, cheat] = voters;
    liar!.behaviour.voteAgainst = true;
    cheat!.behaviour.revealOther = true;
    await s.play();
    const [round] = await s.rounds();
    expect(round!.status).toBe("accepted");
    const voteOf = (a: string) => round!.voters.find((v) => v.account === a)!.vote;
    expect(voteOf(liar!.address)).toBe(-1);
    // The cheat's reveal did not open its commitment: not counted.
    expect(voteOf(cheat!.address)).toBeNull();
    expect(BigInt(round!.tally!)).toBe(1000n * 10n ** 18n);
    expect(round!.slashes.map((x) => x.account).sort()).toEqual([liar!.address, cheat!.address].sort());
    expect(round!.rewards.map((r) => r.account)).not.toContain(liar!.address);
    expect(round!.rewards.map((r) => r.account)).not.toContain(cheat!.address);
    const slashed = s.chain.slashed.filter((x) => x.taskId === s!.taskId);
    const fraction = (a: string) => slashed.find((x) => x.account.toLowerCase() === a)?.fractionBps;
    expect(fraction(liar!.address)).toBe(1000); // the vote rule
    expect(fraction(cheat!.address)).toBe(1000); // a failed duty (failedDutySlashBps)
    const participants = (
      await s.http.signed(liar!.account, "GET", `/fl/tasks/${s.taskId}/participants`)
    ).json() as {
      participants: { account: string; missed: number }[];
    };
    expect(participants.participants.find((p) => p.account === cheat!.address)!.missed).toBe(1);
  });

  it("Krum leaves a poisoned update out: the round is accepted and the poisoner is neither paid nor slashed", async () => {
    s = await startFlScenario({
      participants: [honest(0.1), honest(-0.1), honest(0), honest(0.05), honest(0.02)],
      rounds: 1,
      proposerFractionBps: 8000,
      strategy: { name: "krum", params: { numMaliciousNodes: 1 } },
    });
    const { proposers } = await rolesOf(s, 1);
    expect(proposers).toHaveLength(4);
    const poisoner = proposers[0]!;
    poisoner.behaviour.poison = 1000;
    await s.play();
    const [round] = await s.rounds();
    expect(round!.status).toBe("accepted");
    expect(round!.updaters).toContain(poisoner.address);
    expect(round!.contributors).toHaveLength(1);
    expect(round!.contributors).not.toContain(poisoner.address);
    expect(round!.rewards.map((r) => r.account)).not.toContain(poisoner.address);
    expect(round!.slashes).toEqual([]);
  });
});
