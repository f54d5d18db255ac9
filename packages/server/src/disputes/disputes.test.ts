import { contentId, sha256Hex } from "@flock/core";
import { scoreFromMetric } from "@flock/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { type ScoredTask, scoredTask } from "../testing/disputeScenario.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { revealAndFinalize } from "../testing/scoreReveal.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { proverOf } from "./disputeJobs.ts";
import type { SubmissionEvaluator } from "./submissionEvaluator.ts";

const WAD = 10n ** 18n;
const COORDINATOR = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
const adapters = [new TextEncoder().encode("adapter A"), new TextEncoder().encode("adapter B")];
// What the deterministic evaluation of each artifact gives (BPC): the referee's re-run returns the same.
const bpcOf = new Map([
  [contentId(adapters[0]!), 1.2345],
  [contentId(adapters[1]!), 1.5],
]);

/** A deterministic evaluator standing in for the engine (the real engine runs in engineReferee.test.ts). */
function tableEvaluator(runs: string[]): SubmissionEvaluator {
  return {
    async evaluate(input) {
      const id = contentId(input.artifact);
      runs.push(id);
      return { metric: bpcOf.get(id)! };
    },
  };
}

describe("refereed disputes of validator scores (recording chain, deterministic evaluator)", () => {
  const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  const recorder = createRecordingChainGateway();
  let failNextSlash = true;
  // The first slash reaches the chain, then the coordinator "crashes" before recording it: the job retries.
  const chain: ChainGateway = {
    ...recorder,
    async slash(request) {
      const result = await recorder.slash(request);
      if (failNextSlash) {
        failNextSlash = false;
        throw new Error("connection lost after the slash transaction");
      }
      return result;
    },
  };
  const runs: string[] = [];
  let t: TestApp;
  let task: ScoredTask;
  const honest = (trainer: number) => scoreFromMetric([...bpcOf.values()][trainer]!);

  beforeAll(async () => {
    t = await startTestApp({ clock, chain, evaluator: tableEvaluator(runs) });
    task = await scoredTask(t, clock, {
      baseModel: new TextEncoder().encode("base"),
      hiddenSet: new TextEncoder().encode("hidden"),
      artifacts: adapters,
      validatorStakes: [5000n * WAD, 5000n * WAD, 5000n * WAD],
      // Validator 2 reports adapter A 0.1 better than it is.
      scoreOf: (v, trainer) => (v === 2 && trainer === 0 ? honest(0) - WAD / 10n : honest(trainer)),
    });
  });
  afterAll(() => t.dispose());

  it("nobody may ask for a re-run before the task is finalized", async () => {
    const early = await t.signed(task.creator, "POST", "/disputes", {
      submissionId: task.submissions[0],
      validator: task.validators[2]!.address,
    });
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe("DISPUTE_TOO_EARLY");
  });

  it("at finalization the liar alone is disputed, and after a restart and a failed attempt it is slashed once", async () => {
    await revealAndFinalize(t, clock, task.endTime, task.pending);
    const opened = await t.repos.jobs.list({ kind: "score.dispute" });
    expect(opened.map((j) => j.payload)).toEqual([
      {
        taskId: task.taskId,
        submissionId: task.submissions[0],
        validator: task.validators[2]!.address.toLowerCase(),
        consensus: honest(0).toString(),
        toleranceScore: (WAD / 100n).toString(),
        requestedBy: null,
      },
    ]);
    // Settlement waits for the dispute, so that a slash it executes is listed in the epoch report.
    expect(await t.repos.epochs.list({ taskId: task.taskId })).toEqual([]);
    expect((await t.repos.tasks.get(task.taskId)).status).toBe("finalized");

    // The coordinator restarts before the dispute runs: the job is in the database.
    await t.close();
    t = await startTestApp({ dataDir: t.dataDir, clock, chain, evaluator: tableEvaluator(runs) });
    await t.app.scheduler.runDue();
    expect((await t.repos.jobs.get(opened[0]!.id)).status).toBe("pending"); // the slash call failed
    expect(await t.repos.epochs.list({ taskId: task.taskId })).toEqual([]); // still waiting for it
    clock.advance(2000);
    await t.app.scheduler.runDue();
    expect((await t.repos.jobs.get(opened[0]!.id)).status).toBe("done");
    // Then the task settles, and its report lists the executed slash (paid by the contract, not the trees).
    const [epoch] = await t.repos.epochs.list({ taskId: task.taskId });
    expect((await t.repos.tasks.get(task.taskId)).status).toBe("closed");
    const report = JSON.parse(new TextDecoder().decode(await t.artifacts.read(epoch!.reportId)));
    const [listed] = (await t.repos.slashes.list({ taskId: task.taskId })).map((s) => s.evidenceId);
    // The recording chain keeps no Slashed events: the slash is listed as stored, 1 base unit slashed,
    // floor(1 · 1000 / 10000) = 0 to the coordinator (prover), 1 to the treasury, transaction unknown.
    expect(report.inputs.executedSlashes).toEqual([
      {
        task: String(task.taskId),
        account: task.validators[2]!.address.toLowerCase(),
        amount: "1",
        prover: COORDINATOR,
        toProver: "0",
        toTreasury: "1",
        reason: "dishonest score",
        evidence: listed,
        txHash: null,
      },
    ]);

    // Both attempts asked the chain with the same evidence (the chain uses each evidence hash once).
    expect(recorder.slashed).toHaveLength(2);
    expect(recorder.slashed[1]).toEqual(recorder.slashed[0]);
    const request = recorder.slashed[0]!;
    expect(request).toMatchObject({
      taskId: task.taskId,
      account: task.validators[2]!.address.toLowerCase(),
      fractionBps: 5000,
      prover: COORDINATOR,
    });
    const slashes = await t.repos.slashes.list({ taskId: task.taskId });
    expect(slashes).toHaveLength(1);
    expect(slashes[0]).toMatchObject({ reason: "dishonest score", prover: COORDINATOR, amount: 1n });
    // The evidence hash is the sha256 of the published canonical-JSON evidence record.
    const evidence = await t.artifacts.read(slashes[0]!.evidenceId);
    expect(`0x${sha256Hex(evidence)}`).toBe(request.evidenceHash);
    expect(JSON.parse(new TextDecoder().decode(evidence))).toMatchObject({
      kind: "refereed-score",
      submission: task.submissions[0],
      artifact: contentId(adapters[0]!),
      hiddenSet: contentId(new TextEncoder().encode("hidden")),
      validator: task.validators[2]!.address.toLowerCase(),
      reportedScore: (honest(0) - WAD / 10n).toString(),
      rerunScore: honest(0).toString(),
      consensus: honest(0).toString(),
      verdict: "dishonest",
    });

    const dispute = (await t.app.http.inject({ method: "GET", url: `/disputes/${opened[0]!.id}` })).json();
    expect(dispute).toMatchObject({
      status: "decided",
      verdict: "dishonest",
      slashed: "1",
      prover: COORDINATOR,
      evidenceId: slashes[0]!.evidenceId,
    });
    const events = await t.repos.events.listAfter(0, {
      types: ["dispute.opened", "dispute.decided", "slash.recorded"],
    });
    expect(events.map((e) => e.type)).toEqual(["dispute.opened", "slash.recorded", "dispute.decided"]);
  });

  it("anyone may ask for a re-run of an honest score: it is not proven and nobody is slashed", async () => {
    const asked = await t.signed(task.creator, "POST", "/disputes", {
      submissionId: task.submissions[1],
      validator: task.validators[0]!.address,
    });
    expect(asked.statusCode).toBe(202);
    expect(asked.json()).toMatchObject({
      status: "pending",
      requestedBy: task.creator.address.toLowerCase(),
    });
    const again = await t.signed(task.trainers[0]!, "POST", "/disputes", {
      submissionId: task.submissions[1],
      validator: task.validators[0]!.address,
    });
    expect(again.json().id).toBe(asked.json().id);
    const before = recorder.slashed.length;
    await t.app.scheduler.runDue();
    expect(recorder.slashed.length).toBe(before);
    const decided = (await t.app.http.inject({ method: "GET", url: `/disputes/${asked.json().id}` })).json();
    expect(decided).toMatchObject({
      status: "decided",
      verdict: "not-proven",
      reason: "the reported score is within tolerance of the re-run",
      rerunScore: honest(1).toString(),
      slashed: null,
    });
    expect(runs.at(-1)).toBe(contentId(adapters[1]!));
    expect(await t.repos.slashes.list({ account: task.validators[0]!.address })).toEqual([]);
  });

  it("a score that was never reported, an unknown dispute and a job that is no dispute are not found", async () => {
    const stranger = await t.signed(task.creator, "POST", "/disputes", {
      submissionId: task.submissions[0],
      validator: task.creator.address,
    });
    expect(stranger.statusCode).toBe(404);
    expect(stranger.json().code).toBe("SCORE_NOT_FOUND");
    expect((await t.app.http.inject({ method: "GET", url: "/disputes/999999" })).json().code).toBe(
      "DISPUTE_NOT_FOUND",
    );
    const [finalizeJob] = await t.repos.jobs.list({ kind: "task.finalize" });
    const notDispute = await t.app.http.inject({ method: "GET", url: `/disputes/${finalizeJob!.id}` });
    expect(notDispute.statusCode).toBe(404);
    const unsigned = await t.app.http.inject({
      method: "POST",
      url: "/disputes",
      payload: { submissionId: task.submissions[0], validator: task.validators[2]!.address },
    });
    expect(unsigned.json().code).toBe("AUTH_REQUIRED");
  });
});

describe("who is paid as the prover of a dispute's slash (SPEC §3: 10% to whoever proved it)", () => {
  const ctx = {
    chain: { coordinator: COORDINATOR },
    config: { treasury: "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" },
  };
  const dispute = {
    taskId: 1,
    submissionId: 2,
    validator: "0x00000000000000000000000000000000000000aa",
    consensus: WAD,
    toleranceScore: WAD / 100n,
  };
  it("the participant who asked for it, the coordinator for its own, never the disputed validator itself", () => {
    const asker = "0x00000000000000000000000000000000000000BB";
    expect(proverOf(ctx as never, { ...dispute, requestedBy: asker })).toBe(asker.toLowerCase());
    expect(proverOf(ctx as never, { ...dispute, requestedBy: null })).toBe(COORDINATOR);
    expect(
      proverOf(ctx as never, {
        ...dispute,
        requestedBy: dispute.validator.toUpperCase().replace("0X", "0x"),
      }),
    ).toBe(COORDINATOR);
    // A coordinator without an account of its own names the treasury.
    expect(proverOf({ ...ctx, chain: {} } as never, { ...dispute, requestedBy: null })).toBe(
      ctx.config.treasury,
    );
  });
});
