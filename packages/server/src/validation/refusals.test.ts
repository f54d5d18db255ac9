import { contentId } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { commitScore, type PendingReveal, revealAndFinalize } from "../testing/scoreReveal.ts";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const WAD = 10n ** 18n;
const key = () => privateKeyToAccount(generatePrivateKey());
const artifact = new TextEncoder().encode("a valid adapter");
const BPC = 1.25;

/**
 * SPEC §2.1: an unscorable artifact is scored +∞, so a refusal is no verdict on a submission. It used to close
 * the duty for good: three validators refusing a valid submission zeroed it. Now each refusal hands the
 * submission to a validator not drawn before, and a refusal of an artifact the referee's re-run scores is
 * slashed.
 */
describe("refusals cannot zero a submission", () => {
  const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  const chain = createRecordingChainGateway();
  let t: TestApp;
  afterAll(() => t?.dispose());

  it("three false refusals leave the submission scored by three other validators, and the refusers are slashed", async () => {
    t = await startTestApp({
      dataDir: await freshDataDir(),
      clock,
      chain,
      evaluator: { evaluate: async () => ({ metric: BPC }) },
    });
    const start = clock.now().getTime();
    const creator = operatorAccount;
    const trainer = key();
    const validators = Array.from({ length: 6 }, key);
    const created = await t.signed(creator, "POST", "/tasks", {
      title: "refusals",
      description: "d",
      type: "lm-lora",
      baseModel: await t.publish("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: await t.publish("train"),
      validationCommitment: contentId("hidden of the refusal test"),
      submissionDeadline: new Date(start + 60 * 60_000).toISOString(),
      endTime: new Date(start + 120 * 60_000).toISOString(),
      rewardWeight: "1",
      minStake: (1000n * WAD).toString(),
      minLockDays: 0,
    });
    const taskId: number = created.json().id;
    const hidden = await t.artifacts.put(new TextEncoder().encode("hidden"), { maxBytes: 6 });
    await t.repos.artifacts.record({
      id: hidden.id,
      size: hidden.size,
      mediaType: "application/octet-stream",
    });
    await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);
    await t.indexStake(taskId, trainer.address, "trainer", 2000n * WAD);
    for (const v of validators) await t.indexStake(taskId, v.address, "validator", 3000n * WAD);
    const commit = (
      await t.signed(trainer, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(artifact) })
    ).json();
    expect((await t.upload(trainer, `/submissions/${commit.id}/artifact`, artifact)).json().status).toBe(
      "accepted",
    );
    clock.set(new Date(start + 60 * 60_000));
    await t.app.scheduler.runDue();

    const byAddress = (address: string) => validators.find((v) => v.address.toLowerCase() === address)!;
    const first = await t.repos.assignments.listForSubmission(commit.id);
    expect(first).toHaveLength(3);
    // The attack: every validator drawn refuses a valid artifact.
    for (const a of first) {
      const refused = await t.signed(byAddress(a.validator), "POST", `/assignments/${a.id}/refuse`, {
        reason: "ARTIFACT_MALFORMED: (false)",
      });
      expect(refused.json().status).toBe("refused");
    }
    const all = await t.repos.assignments.listForSubmission(commit.id);
    const fresh = all.filter((a) => a.status === "open");
    expect(fresh).toHaveLength(3);
    expect(fresh.map((a) => a.validator).some((v) => first.some((f) => f.validator === v))).toBe(false);
    // The same seed continues the draw, so anyone can re-run it.
    expect(new Set(all.map((a) => a.seed)).size).toBe(1);

    const score = 1_250_000_000_000_000_000n;
    const pending: PendingReveal[] = [];
    for (const a of fresh) pending.push(await commitScore(t, byAddress(a.validator), a.id, score));
    await revealAndFinalize(t, clock, new Date(start + 120 * 60_000), pending);
    for (let round = 0; round < 3; round++) {
      clock.advance(60_000);
      await t.app.scheduler.runDue();
    }

    // Scored by the three others: ranked with their consensus, settled.
    const board = (await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/leaderboard` })).json();
    expect(board.items).toEqual([
      {
        rank: 0,
        submissionId: commit.id,
        trainer: trainer.address.toLowerCase(),
        consensusScore: score.toString(),
        reports: 3,
      },
    ]);
    expect((await t.repos.tasks.get(taskId)).status).toBe("closed");
    // Each refusal was disputed at finalization; the re-run scores the artifact, so each refuser is slashed.
    const disputes = (await t.repos.jobs.list({ kind: "score.dispute" })).filter(
      (j) => j.payload.taskId === taskId,
    );
    expect(disputes.map((d) => d.payload.validator).sort()).toEqual(first.map((a) => a.validator).sort());
    const slashes = await t.repos.slashes.list({ taskId });
    expect(slashes.map((s) => [s.account, s.reason]).sort()).toEqual(
      first.map((a) => [a.validator, "false refusal"]).sort(),
    );
    expect(chain.slashed.map((s) => s.account).sort()).toEqual(first.map((a) => a.validator).sort());
    const outcome = (await t.app.http.inject({ method: "GET", url: `/disputes/${disputes[0]!.id}` })).json();
    expect(outcome).toMatchObject({
      verdict: "dishonest",
      reportedScore: "refused",
      rerunScore: score.toString(),
    });
  });
});
