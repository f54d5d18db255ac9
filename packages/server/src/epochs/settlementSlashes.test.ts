import type { FlockEvent as ChainEvent } from "@flock/chain";
import { contentId } from "@flock/core";
import { computeEpoch, epochInputsFromReport, scoreFromMetric } from "@flock/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { type AppContext, defaultServerConfig } from "../deps.ts";
import { type ScoredTask, scoredTask } from "../testing/disputeScenario.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { revealAndFinalize } from "../testing/scoreReveal.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { closeEpoch } from "./settleEpoch.ts";

const WAD = 10n ** 18n;
const TREASURY = defaultServerConfig.treasury;
const adapters = [new TextEncoder().encode("adapter A"), new TextEncoder().encode("adapter B")];

/**
 * Settlement of a task with a slash executed on-chain and a slash job still in flight (recording chain, its
 * Slashed event given): the epoch waits for the job, then lists the slash as executed and pays nothing for it.
 */
describe("settlement lists the task's executed slashes and waits for its slash jobs", () => {
  const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  const events: ChainEvent[] = [];
  const recorder = createRecordingChainGateway(31337, events);
  const chain: ChainGateway = recorder;
  let t: TestApp;
  let task: ScoredTask;
  const evidence = contentId("copy evidence");
  const txHash = `0x${"5a".repeat(32)}` as const;

  beforeAll(async () => {
    recorder.mints = [{ mintIndex: 0n, amount: 1000n * WAD }];
    t = await startTestApp({ clock, chain });
    task = await scoredTask(t, clock, {
      baseModel: new TextEncoder().encode("base"),
      hiddenSet: new TextEncoder().encode("hidden"),
      artifacts: adapters,
      validatorStakes: [5000n * WAD, 5000n * WAD, 5000n * WAD],
      scoreOf: (_v, trainer) => scoreFromMetric(trainer === 0 ? 1.2 : 1.5),
    });
  });
  afterAll(() => t.dispose());

  it("waits for a copy slash job in flight, then reports the executed slash with its Slashed event's figures", async () => {
    const copier = task.trainers[1]!.address.toLowerCase();
    // A slash already executed on-chain: 2000 slashed, 10% (200) to the named prover (the treasury, as for
    // copies), 1800 to the treasury; recorded in the store without a prover.
    await t.repos.slashes.record({
      epoch: null,
      taskId: task.taskId,
      account: copier,
      amount: 2000n * WAD,
      reason: "copied submission",
      evidenceId: evidence,
      prover: null,
    });
    events.push({
      kind: "slashed",
      args: {
        taskId: BigInt(task.taskId),
        account: task.trainers[1]!.address,
        prover: TREASURY as `0x${string}`,
        evidenceHash: `0x${evidence.slice("sha256:".length)}`,
        fractionBps: 5000,
        amount: 2000n * WAD,
        proverShare: 200n * WAD,
        treasuryShare: 1800n * WAD,
      },
      contract: "Slashing",
      address: "0x0000000000000000000000000000000000000002",
      blockNumber: 5n,
      transactionHash: txHash,
      logIndex: 0,
    });
    // A copy slash job retrying (its backoff ends 10 minutes after the task): settlement must wait for it.
    const retryAt = new Date(task.endTime.getTime() + t.app.config.revealWindowMs + 10 * 60_000);
    const copyJob = await t.repos.jobs.schedule({
      kind: "submission.slashCopy",
      key: `submission:${task.submissions[1]}:slash`,
      runAt: retryAt,
      payload: { submissionId: task.submissions[1] },
    });

    await revealAndFinalize(t, clock, task.endTime, task.pending);
    expect((await t.repos.tasks.get(task.taskId)).status).toBe("finalized");
    expect(await t.repos.epochs.list({ taskId: task.taskId })).toEqual([]);
    const [waiting] = await t.repos.jobs.list({ kind: "task.settle" });
    expect(waiting).toMatchObject({ status: "pending", runAt: retryAt });
    expect(recorder.posted).toHaveLength(0);
    // Closing the epoch by hand meanwhile leaves the task out: the report would miss a slash the job may still
    // execute, so the task waits for a later epoch.
    const ctx = {
      db: t.db,
      repos: t.repos,
      chain,
      clock,
      config: defaultServerConfig,
    } as unknown as AppContext;
    expect(await closeEpoch(ctx)).toBeNull();
    expect(await t.repos.epochs.list({ taskId: task.taskId })).toEqual([]);

    clock.set(retryAt);
    await t.app.scheduler.runDue();
    expect((await t.repos.jobs.get(copyJob.id)).status).toBe("done");
    const [epoch] = await t.repos.epochs.list({ taskId: task.taskId });
    expect(epoch).toBeDefined();
    expect((await t.repos.tasks.get(task.taskId)).status).toBe("closed");
    const report = JSON.parse(new TextDecoder().decode(await t.artifacts.read(epoch!.reportId)));
    expect(report.inputs.executedSlashes).toEqual([
      {
        task: String(task.taskId),
        account: copier,
        amount: (2000n * WAD).toString(),
        prover: TREASURY,
        toProver: (200n * WAD).toString(),
        toTreasury: (1800n * WAD).toString(),
        reason: "copied submission",
        evidence,
        txHash,
      },
    ]);
    // Nothing of it is paid through the trees: Σ liquid + Σ vesting is the emission, and the report without the
    // executed slash has the same rewards and roots but another hash.
    const totals = report.outputs.totals;
    expect(BigInt(totals.liquid) + BigInt(totals.vesting)).toBe(1000n * WAD);
    expect(totals.slashed).toBe("0");
    expect(report.inputs.slashes).toEqual([]);
    expect(epoch!.liquidRoot).toBe(report.outputs.liquidRoot);
    expect(recorder.posted).toEqual([
      {
        epoch: BigInt(epoch!.number),
        liquidRoot: epoch!.liquidRoot,
        vestingRoot: epoch!.vestingRoot,
        reportHash: epoch!.reportHash,
        total: BigInt(totals.liquid) + BigInt(totals.vesting),
        pools: [],
      },
    ]);
  });

  it("the report recomputes from its own inputs, executed slashes included, to the posted hash", async () => {
    const [epoch] = await t.repos.epochs.list({ taskId: task.taskId });
    const report = JSON.parse(new TextDecoder().decode(await t.artifacts.read(epoch!.reportId)));
    // protocol's one reader of a published report: every input, the signed score reveals included.
    const inputs = epochInputsFromReport(report);
    const recomputed = computeEpoch(inputs);
    expect(recomputed.reportHash).toBe(epoch!.reportHash);
    // Without the executed slash: the same rewards and roots, another report hash.
    const without = computeEpoch({ ...inputs, executedSlashes: [] });
    expect(without.rewards).toEqual(recomputed.rewards);
    expect(without.trees.liquid.root).toBe(epoch!.liquidRoot);
    expect(without.trees.vesting.root).toBe(epoch!.vestingRoot);
    expect(without.reportHash).not.toBe(epoch!.reportHash);
  });
});
