import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type FlockEvent,
  getBalances,
  getStake,
  type LocalChain,
  manifestAddresses,
  readEvents,
  startLocalChain,
} from "@flock/chain";
import { contentId, parseFlock } from "@flock/core";
import { scoreFromMetric, slash } from "@flock/protocol";
import { sha256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainGateway } from "../chain/createChainGateway.ts";
import { lockAndStake } from "../testing/chainStaking.ts";
import { tinyAdapterFile, tinyRefereeFiles, validatorBpc } from "../testing/refereeFixtures.ts";
import { commitScore, type PendingReveal, revealScores } from "../testing/scoreReveal.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

/** SPEC §2.1 adversarial scenario on a real chain with the real engine: false scores are proven and slashed. */
describe("validators' false scores are re-run, proven and slashed on-chain (real anvil, real engine)", () => {
  const clock = manualClock(new Date());
  const dataDir = mkdtempSync(join(tmpdir(), "flock-server-dispute-"));
  const files = tinyRefereeFiles();
  const artifact = tinyAdapterFile(files.baseModelId, 21);
  let chain: LocalChain;
  let t: TestApp;

  beforeAll(async () => {
    chain = await startLocalChain({ dataDir: join(dataDir, "chain") });
    const gateway = createChainGateway({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      addresses: manifestAddresses(chain.manifest),
      coordinatorKey: chain.roles.coordinator.privateKey,
      startBlock: BigInt(chain.manifest.blockNumber),
    });
    t = await startTestApp({
      chain: gateway,
      clock,
      dataDir: join(dataDir, "coordinator"),
      config: { validatorsPerSubmission: 4 },
    });
  });
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("each liar loses its slash fraction of stake; 10% goes to the participant who asked for the proof, or to the coordinator for its own dispute; the epoch report lists both slashes", async () => {
    // The local chain's admin holds the operator role: its emission-paid task opens at once (SPEC §3).
    const creator = privateKeyToAccount(chain.roles.admin.privateKey);
    const asker = privateKeyToAccount(chain.accounts[8]!.privateKey);
    const trainerKey = chain.accounts[3]!;
    const validatorKeys = [chain.accounts[4]!, chain.accounts[5]!, chain.accounts[6]!, chain.accounts[7]!];
    // The asker proves the first liar; the coordinator's own dispute at finalization proves the second.
    const askedLiar = validatorKeys[1]!;
    const foundLiar = validatorKeys[3]!;
    const base = { id: await t.publish(files.baseModel) };
    const created = await t.signed(creator, "POST", "/tasks", {
      title: "refereed on-chain",
      description: "d",
      type: "lm-lora",
      baseModel: base.id,
      contextLength: 48,
      maxTrainableParams: 100_000,
      trainingSetId: await t.publish("train"),
      validationCommitment: files.hiddenSetId,
      submissionDeadline: new Date(clock.now().getTime() + 3_600_000).toISOString(),
      endTime: new Date(clock.now().getTime() + 7_200_000).toISOString(),
      rewardWeight: "1",
      minStake: parseFlock("3000").toString(),
      minLockDays: 30,
    });
    expect(created.statusCode).toBe(201);
    const taskId: number = created.json().id;
    const hidden = await t.artifacts.put(files.hiddenSet, { maxBytes: files.hiddenSet.length });
    await t.repos.artifacts.record({
      id: hidden.id,
      size: hidden.size,
      mediaType: "application/octet-stream",
    });
    await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);

    await lockAndStake(chain.clientFor(trainerKey), {
      taskId,
      role: "trainer",
      amount: parseFlock("3000"),
      days: 365,
    });
    for (const v of validatorKeys)
      await lockAndStake(chain.clientFor(v), {
        taskId,
        role: "validator",
        amount: parseFlock("4000"),
        days: 365,
      });
    await t.app.indexer.sync();

    const trainer = privateKeyToAccount(trainerKey.privateKey);
    const commit = (
      await t.signed(trainer, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(artifact) })
    ).json();
    const path = `/submissions/${commit.id}/artifact`;
    const uploaded = await t.app.http.inject({
      method: "PUT",
      url: path,
      headers: {
        ...(await signedHeaders({
          account: trainer,
          chainId: chain.chainId,
          verifyingContract: manifestAddresses(chain.manifest).TaskStaking,
          method: "PUT",
          path,
          bodyHash: sha256(artifact),
          timestamp: Math.floor(clock.now().getTime() / 1000),
        })),
        "content-type": "application/octet-stream",
      },
      payload: Buffer.from(artifact),
    });
    expect(uploaded.json().status).toBe("accepted");

    clock.advance(61 * 60_000);
    await t.app.scheduler.runDue();
    // Honest validators report the engine's BPC; one liar reports 0.2 better, the other 0.2 worse: the
    // stake-weighted median (equal stakes) is the honest score, and both liars are off it.
    const honest = scoreFromMetric(await validatorBpc(files, artifact, { contextLength: 48, threads: 1 }));
    const lie = (key: (typeof validatorKeys)[number]) =>
      key === askedLiar
        ? honest - parseFlock("0.2")
        : key === foundLiar
          ? honest + parseFlock("0.2")
          : honest;
    const pending: PendingReveal[] = [];
    for (const key of validatorKeys) {
      const v = privateKeyToAccount(key.privateKey);
      const [assignment] = (await t.signed(v, "GET", "/assignments")).json().items;
      pending.push(await commitScore(t, v, assignment.id, lie(key), {}));
    }

    const coordinator = chain.clientFor(chain.roles.coordinator);
    const gmFlockOf = async (address: string) =>
      (await getBalances(coordinator, { account: address as `0x${string}` })).gmFlock;
    const before = {
      coordinator: await gmFlockOf(chain.roles.coordinator.address),
      treasury: await gmFlockOf(chain.roles.treasury.address),
      asker: await gmFlockOf(asker.address),
    };
    clock.advance(60 * 60_000);
    await revealScores(t, pending);
    clock.advance(t.app.config.revealWindowMs);
    // The asker's signed request lands once the task is finalized, before the coordinator opens its own
    // disputes (the finalize job's window between the two): its dispute is the pair's one.
    await t.repos.tasks.transition(taskId, "finalized");
    const asked = await t.signed(asker, "POST", "/disputes", {
      submissionId: commit.id,
      validator: askedLiar.address,
    });
    expect(asked.statusCode).toBe(202);
    expect(asked.json().requestedBy).toBe(asker.address.toLowerCase());
    await t.app.scheduler.runDue(); // finalize: the coordinator's dispute of the other liar; settlement waits
    expect(await t.repos.epochs.list({ taskId })).toEqual([]);
    await t.app.scheduler.runDue(); // the referee's re-runs and the slashes, then settlement

    const expected = slash(parseFlock("4000"), 5000);
    const askedSlash = (await t.repos.slashes.list({ taskId, account: askedLiar.address }))[0]!;
    const foundSlash = (await t.repos.slashes.list({ taskId, account: foundLiar.address }))[0]!;
    expect(askedSlash).toMatchObject({
      amount: expected.slashed,
      reason: "dishonest score",
      prover: asker.address.toLowerCase(),
    });
    // The re-run is the truth for the whole submission: the asker's dispute proves both liars (it ran
    // first), and the coordinator's own dispute of the other liar, with the same evidence, slashes nobody twice.
    expect(foundSlash).toMatchObject({
      amount: expected.slashed,
      reason: "dishonest score",
      prover: asker.address.toLowerCase(),
    });
    expect(await t.repos.slashes.list({ taskId })).toHaveLength(2);
    for (const liar of [askedLiar, foundLiar]) {
      const onChain = await getStake(coordinator, { taskId: BigInt(taskId), account: liar.address });
      expect(onChain.amount).toBe(parseFlock("4000") - expected.slashed);
    }
    expect((await gmFlockOf(asker.address)) - before.asker).toBe(2n * expected.toProver);
    expect((await gmFlockOf(chain.roles.coordinator.address)) - before.coordinator).toBe(0n);
    expect((await gmFlockOf(chain.roles.treasury.address)) - before.treasury).toBe(2n * expected.toPool);
    for (const v of [validatorKeys[0]!, validatorKeys[2]!]) {
      expect((await getStake(coordinator, { taskId: BigInt(taskId), account: v.address })).amount).toBe(
        parseFlock("4000"),
      );
    }
    const outcome = (await t.app.http.inject({ method: "GET", url: `/disputes/${asked.json().id}` })).json();
    expect(outcome).toMatchObject({
      verdict: "dishonest",
      rerunScore: honest.toString(),
      consensus: honest.toString(),
      slashed: expected.slashed.toString(),
      prover: asker.address.toLowerCase(),
    });

    // The epoch (settled after the disputes) lists both slashes with their Slashed events' transactions.
    const [epoch] = await t.repos.epochs.list({ taskId });
    const report = JSON.parse(new TextDecoder().decode(await t.artifacts.read(epoch!.reportId)));
    const slashedEvents: FlockEvent[] = [];
    for await (const e of readEvents(coordinator, { fromBlock: 0n, kinds: ["slashed"] }))
      slashedEvents.push(e);
    const txOf = (evidenceId: string) =>
      slashedEvents.find(
        (e) => e.kind === "slashed" && e.args.evidenceHash === `0x${evidenceId.slice("sha256:".length)}`,
      )!.transactionHash;
    const row = (s: typeof askedSlash, prover: string) => ({
      task: String(taskId),
      account: s.account,
      amount: expected.slashed.toString(),
      prover: prover.toLowerCase(),
      toProver: expected.toProver.toString(),
      toTreasury: expected.toPool.toString(),
      reason: "dishonest score",
      evidence: s.evidenceId,
      txHash: txOf(s.evidenceId),
    });
    expect(report.inputs.executedSlashes).toEqual(
      [row(askedSlash, asker.address), row(foundSlash, asker.address)].sort((a, b) =>
        a.evidence < b.evidence ? -1 : 1,
      ),
    );
    expect(epoch!.txHash).not.toBeNull();
  });
});
