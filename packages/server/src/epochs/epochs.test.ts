import { contentId, sha256Hex } from "@flock/core";
import { verifyRewardProof } from "@flock/protocol";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { commitScore, type PendingReveal, revealScores } from "../testing/scoreReveal.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const key = () => privateKeyToAccount(generatePrivateKey());
const creator = operatorAccount;
const trainers = [key(), key()];
const validators = [key(), key(), key()];
const delegator = key();
// Near the real time: the database stamps tasks with its own clock, and delegations count from creation.
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const WAD = 10n ** 18n;

/** A task with two trainers and three validators, run through submission, validation and finalization. */
describe("epochs: settlement at finalization, proofs, leaderboard, live events", () => {
  const clock = manualClock(T0);
  // trainer 0 opened a delegation pool keeping σ = 50% of the delegation gain (DelegationPools.SigmaSet).
  const chain = createRecordingChainGateway(31337, [
    {
      kind: "sigmaSet",
      args: { participant: trainers[0]!.address, sigmaBps: 5000 },
      contract: "DelegationPools",
      address: "0x0000000000000000000000000000000000000001",
      blockNumber: 1n,
      transactionHash: `0x${"11".repeat(32)}`,
      logIndex: 0,
    },
  ]);
  let t: TestApp;
  const pending: PendingReveal[] = [];
  let taskId: number;

  beforeAll(async () => {
    chain.mints = [{ mintIndex: 0n, amount: 1000n * WAD }];
    t = await startTestApp({ clock, chain });
    await t.publish("base model");
    await t.publish("train");
    taskId = (
      await t.signed(creator, "POST", "/tasks", {
        title: "t",
        description: "d",
        type: "lm-lora",
        baseModel: contentId("base model"),
        contextLength: 64,
        maxTrainableParams: 1000,
        trainingSetId: contentId("train"),
        validationCommitment: contentId("hidden"),
        submissionDeadline: minutes(60).toISOString(),
        endTime: minutes(120).toISOString(),
        rewardWeight: "1",
        minStake: (1000n * WAD).toString(),
        minLockDays: 0,
      })
    ).json().id;
    let block = 1;
    for (const trainer of trainers) {
      await t.repos.stakes.applyEvent({
        taskId,
        account: trainer.address,
        role: "trainer",
        amount: 4000n * WAD,
        blockNumber: block++,
        logIndex: 0,
      });
    }
    await t.repos.delegations.applyEvent({
      pool: trainers[0]!.address,
      delegator: delegator.address,
      amount: 2000n * WAD,
      at: minutes(30),
      blockNumber: block++,
      logIndex: 0,
    });
    for (const v of validators) {
      await t.repos.stakes.applyEvent({
        taskId,
        account: v.address,
        role: "validator",
        amount: 5000n * WAD,
        blockNumber: block++,
        logIndex: 0,
      });
    }
    for (const trainer of trainers) {
      const bytes = new TextEncoder().encode(`adapter of ${trainer.address}`);
      const commit = (
        await t.signed(trainer, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(bytes) })
      ).json();
      await t.upload(trainer, `/submissions/${commit.id}/artifact`, bytes);
    }
    clock.set(minutes(60));
    await t.app.scheduler.runDue();
    // Every validator scores every submission it was given: trainer 0's adapter is better (lower BPC).
    for (const v of validators) {
      const assignments = (await t.signed(v, "GET", "/assignments")).json().items;
      for (const a of assignments) {
        const submission = await t.repos.submissions.get(a.submissionId);
        const bpc =
          submission.trainer === trainers[0]!.address.toLowerCase()
            ? 1_200_000_000_000_000_000n
            : 1_500_000_000_000_000_000n;
        pending.push(await commitScore(t, v, a.id, bpc, { bpc: bpc.toString() }));
      }
    }
  });
  afterAll(() => t.dispose());

  it("the leaderboard ranks by consensus score in the metric's direction once the reveals close", async () => {
    const sealed = (await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/leaderboard` })).json();
    expect(sealed.items.map((e: { rank: number | null }) => e.rank)).toEqual([null, null]);
    clock.set(minutes(121));
    await revealScores(t, pending);
    // During the reveal window the task still validates: nothing is shown yet.
    const revealing = (
      await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/leaderboard` })
    ).json();
    expect(revealing.items.map((e: { consensusScore: string | null }) => e.consensusScore)).toEqual([
      null,
      null,
    ]);
    // The window closes: the task is finalized and settled.
    clock.set(minutes(130));
    await t.app.scheduler.runDue();
    const board = (await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/leaderboard` })).json();
    expect(
      board.items.map((e: { trainer: string; rank: number; consensusScore: string }) => [
        e.trainer,
        e.rank,
        e.consensusScore,
      ]),
    ).toEqual([
      [trainers[0]!.address.toLowerCase(), 0, "1200000000000000000"],
      [trainers[1]!.address.toLowerCase(), 1, "1500000000000000000"],
    ]);
  });

  it("at the end the epoch is computed, its report stored and hashed, its roots posted, and proofs verify", async () => {
    expect((await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}` })).json().status).toBe(
      "closed",
    );
    expect(chain.closed).toEqual([taskId]);
    const epochs = (await t.app.http.inject({ method: "GET", url: `/epochs?taskId=${taskId}` })).json().items;
    expect(epochs).toHaveLength(1);
    const epoch = epochs[0];
    expect(chain.posted).toEqual([
      {
        epoch: BigInt(epoch.number),
        liquidRoot: epoch.liquidRoot,
        vestingRoot: epoch.vestingRoot,
        reportHash: epoch.reportHash,
        // Every reward of both trees: the whole emission (the recording distributor holds plenty).
        total: 1000n * WAD,
        // An emission-funded task: no creator pool to draw.
        pools: [],
      },
    ]);
    expect(epoch.txHash).toMatch(/^0x/);

    const report = await t.app.http.inject({ method: "GET", url: `/epochs/${epoch.number}/report` });
    expect(`0x${sha256Hex(report.rawPayload)}`).toBe(epoch.reportHash);
    expect(contentId(report.rawPayload)).toBe(epoch.reportId);

    let total = 0n;
    for (const account of [...trainers, ...validators]) {
      const proofs = await t.app.http.inject({
        method: "GET",
        url: `/epochs/${epoch.number}/proofs/${account.address}`,
      });
      expect(proofs.statusCode).toBe(200);
      for (const tree of ["liquid", "vesting"] as const) {
        const claim = proofs.json()[tree];
        if (claim === null) continue;
        total += BigInt(claim.amount);
        const root = tree === "liquid" ? epoch.liquidRoot : epoch.vestingRoot;
        expect(
          verifyRewardProof({
            root,
            epoch: epoch.number,
            account: account.address,
            amount: BigInt(claim.amount),
            proof: claim.proof,
          }),
        ).toBe(true);
      }
    }
    // Trainers vest 90% (SPEC §3): the better trainer has a vesting claim larger than the other's.
    const vestingOf = async (a: LocalAccount) =>
      BigInt(
        (
          await t.app.http.inject({ method: "GET", url: `/epochs/${epoch.number}/proofs/${a.address}` })
        ).json().vesting.amount,
      );
    expect(await vestingOf(trainers[0]!)).toBeGreaterThan(await vestingOf(trainers[1]!));
    expect(total).toBeGreaterThan(0n);
    expect(total).toBeLessThanOrEqual(1000n * WAD);

    // The delegator of trainer 0's pool is paid from the pool's share, liquid (SPEC §3).
    const pool = await t.app.http.inject({
      method: "GET",
      url: `/epochs/${epoch.number}/proofs/${delegator.address}`,
    });
    expect(BigInt(pool.json().liquid.amount)).toBeGreaterThan(0n);
    expect(report.body).toContain(delegator.address.toLowerCase());

    const nobody = await t.app.http.inject({
      method: "GET",
      url: `/epochs/${epoch.number}/proofs/${creator.address}`,
    });
    expect(nobody.statusCode).toBe(404);
    expect(nobody.json().code).toBe("REWARD_NOT_FOUND");

    // Re-running the job finds the epoch settled and posts nothing twice.
    await t.repos.jobs.schedule({ kind: "task.finalize", runAt: clock.now(), payload: { taskId } });
    await t.app.scheduler.runDue();
    expect(chain.posted).toHaveLength(1);
  });

  it("streams the event log over SSE from a given id, on real HTTP", async () => {
    const address = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    const controller = new AbortController();
    const response = await fetch(`${address}/events?after=0`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();
    let text = "";
    while (!text.includes("event: epoch.posted")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const types = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(types.slice(0, 3)).toEqual(["task.created", "submission.committed", "submission.uploaded"]);
    expect(types).toContain("assignment.created");
    expect(types).toContain("score.committed");
    expect(types).toContain("score.revealed");
    expect(types).toContain("epoch.posted");
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const resumeFrom = ids[2]!;
    const again = await fetch(`${address}/events`, { headers: { "last-event-id": String(resumeFrom) } });
    const resumed = again.body!.getReader();
    let more = "";
    while (!/^id: \d+$/m.test(more)) more += new TextDecoder().decode((await resumed.read()).value);
    await resumed.cancel();
    expect(Number(/^id: (\d+)$/m.exec(more)![1])).toBe(ids[3]);
  });
});
