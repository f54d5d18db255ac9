import { votedContributions } from "@flock/fl";
import { computeEpoch, epochInputsFromReport } from "@flock/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { type FlScenario, restartCoordinator, startFlScenario } from "../testing/flScenario.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";

const WAD = 10n ** 18n;
const TARGET = [1, 2, 3, 4];
const honest = (d: number) => ({ target: TARGET.map((v) => v + d) });

/**
 * SPEC §2.2's contribution accounting over real HTTP: a plain federated task with payRule `contribution`. Before
 * the vote the round fixes its proposers' coalitions and their FedAvg models; voters evaluate each on their own
 * data and commit to the vote and the evaluations; the coordinator takes the stake-weighted median per coalition
 * and runs GTG-Shapley, and the accepted round's proposers are paid by value — in the round and in the settled
 * epoch, which recomputes from its report. Attackers: a voter revealing evaluations other than those it committed
 * to and a voter leaving a model out are refused over HTTP with a code, counted as not revealed, and slashed for
 * the failed duty; contribution with secure aggregation is refused at creation. The coordinator restarts mid-vote.
 */
describe("the contribution pay rule over HTTP", () => {
  let s: FlScenario;
  afterAll(() => s?.dispose());

  it("a proposer training on shuffled labels is paid less than the honest ones; cheating voters are refused", async () => {
    s = await startFlScenario({
      participants: [
        honest(0.1),
        honest(-0.1),
        honest(0),
        honest(0.05),
        honest(-0.05),
        honest(0.02),
        honest(0),
      ],
      rounds: 1,
      proposerFractionBps: 4300,
      payRule: "contribution",
    });
    // Refused at creation, nothing created: contribution under secure aggregation, and too many proposers.
    const task = await s.task();
    const terms = Object.fromEntries(
      Object.entries(task).filter(([k]) =>
        [
          "title",
          "description",
          "modelType",
          "baseModel",
          "rounds",
          "roundSeconds",
          "minParticipants",
          "maxParticipants",
          "rewardWeight",
          "minStake",
          "minLockDays",
          "strategy",
          "trainConfig",
        ].includes(k),
      ),
    );
    const create = (changes: Record<string, unknown>) =>
      s.http.signed(operatorAccount, "POST", "/fl/tasks", {
        ...terms,
        joinDeadline: new Date(s.clock.now().getTime() + 600_000).toISOString(),
        pool: task.pool,
        privacy: { mode: "plain" },
        payRule: "contribution",
        ...changes,
      });
    const refused = await create({ privacy: { mode: "secagg" } });
    expect(refused.status).toBe(400);
    expect(refused.json()).toMatchObject({ code: "FL_PAY_RULE_NEEDS_PLAIN" });
    expect((refused.json() as { hint: string }).hint).toMatch(/plain/);
    // A round of up to 11 proposers could list more coalition models than a voter is asked to evaluate.
    const crowded = await create({ maxParticipants: 22, proposerFractionBps: 5000 });
    expect(crowded.status).toBe(400);
    expect(crowded.json()).toMatchObject({
      code: "FL_CONTRIBUTION_TOO_MANY_PROPOSERS",
      details: { proposers: 11 },
    });
    expect(await s.t.repos.fl.listTerms()).toHaveLength(1);

    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.seed != null });
    const roles = await s.t.repos.fl.getRound(s.taskId, 1);
    const byAddress = (a: string) => s.participants.find((p) => p.address === a)!;
    const proposers = roles.proposers.map((p) => byAddress(p.account));
    const voters = roles.voters.map((v) => byAddress(v.account));
    expect(proposers).toHaveLength(3);
    expect(voters).toHaveLength(4);
    const shuffled = proposers[0]!;
    shuffled.behaviour.trainTarget = [4, 1, 3, 2];
    const [liar, lazy] = voters;
    liar!.behaviour.revealOtherEvaluations = true;
    lazy!.behaviour.omitEvaluation = true;
    // The coordinator restarts mid-vote: the round's coalitions and the commitments are read back from the store.
    await s.play({ until: async () => (await s.t.repos.fl.findRound(s.taskId, 1))?.status === "revealing" });
    expect((await s.t.repos.fl.getRound(s.taskId, 1)).coalitions).toHaveLength(7);
    await restartCoordinator(s);
    await s.play();

    const [round] = await s.rounds();
    expect(round!.status).toBe("accepted");
    // Three proposers: every non-empty coalition (7 models) and the global model were evaluated.
    const stored = await s.t.repos.fl.getRound(s.taskId, 1);
    expect(stored.coalitions).toHaveLength(7);
    const honestVoters = voters.slice(2).map((v) => v.address);
    for (const v of stored.voters) {
      if (honestVoters.includes(v.account)) expect(Object.keys(v.evaluations!)).toHaveLength(8);
      else expect(v.vote).toBeNull();
    }
    // The cheats' reveals were refused over HTTP with a code; not counted, they failed their duty.
    expect([...liar!.refused.values()]).toEqual([{ status: 400, code: "FL_REVEAL_MISMATCH" }]);
    expect([...lazy!.refused.values()]).toEqual([{ status: 400, code: "FL_EVALUATIONS_INCOMPLETE" }]);
    expect(round!.slashes.map((x) => x.account).sort()).toEqual([liar!.address, lazy!.address].sort());

    // Values: the shuffled-label proposer below each honest one; pay follows.
    const value = (a: string) => BigInt(round!.contributions!.find((c) => c.account === a)!.valueWad);
    const reward = (a: string) => BigInt(round!.rewards.find((r) => r.account === a)?.amount ?? "0");
    for (const p of proposers.slice(1)) {
      expect(value(p.address)).toBeGreaterThan(value(shuffled.address));
      expect(reward(p.address)).toBeGreaterThan(reward(shuffled.address));
    }
    // Voters are paid as the stake rule pays them (equal stakes: an equal share of the round reward, 1000 / 5).
    for (const v of honestVoters) expect(reward(v)).toBe((1000n * WAD) / 5n);
    const proposersPaid = proposers.reduce((sum, p) => sum + reward(p.address), 0n);
    expect(proposersPaid).toBeLessThanOrEqual((3n * 1000n * WAD) / 5n);
    expect((3n * 1000n * WAD) / 5n - proposersPaid).toBeLessThan(3n);

    // Anyone recomputes the values from the round's public record: its seed, coalitions and revealed evaluations.
    expect(round!.coalitions).toHaveLength(7);
    const recomputed = await votedContributions(
      {
        seed: round!.seed,
        baseModel: round!.baseModel,
        contributors: round!.contributors,
        coalitions: round!.coalitions!,
      },
      round!.voters
        .filter((v) => v.evaluations !== undefined)
        .map((v) => ({ stake: BigInt(v.stake), evaluations: v.evaluations! })),
    );
    expect(recomputed.map((c) => ({ account: c.account, valueWad: c.valueWad.toString() }))).toEqual(
      round!.contributions,
    );

    // The settled epoch pays by the same values, and recomputes from its report.
    expect((await s.task()).status).toBe("closed");
    const [epoch] = await s.t.repos.epochs.list({ taskId: s.taskId });
    const report = JSON.parse(new TextDecoder().decode(await s.t.artifacts.read(epoch!.reportId)));
    expect(computeEpoch(epochInputsFromReport(report)).reportHash).toBe(epoch!.reportHash);
    const rewards = await s.t.repos.rewards.listForEpoch(epoch!.number);
    const paid = (a: string) => rewards.filter((r) => r.account === a).reduce((sum, r) => sum + r.amount, 0n);
    for (const p of s.participants) expect(paid(p.address)).toBe(reward(p.address));
    for (const p of proposers.slice(1)) expect(paid(p.address)).toBeGreaterThan(paid(shuffled.address));
  });
});
