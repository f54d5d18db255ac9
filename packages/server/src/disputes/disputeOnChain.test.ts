import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approve,
  type FlockClient,
  getBalances,
  getStake,
  type LocalChain,
  lockFlock,
  manifestAddresses,
  stake,
  startLocalChain,
} from "@flock/chain";
import { contentId, parseFlock } from "@flock/core";
import { scoreFromMetric, slash } from "@flock/protocol";
import { sha256 } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createChainGateway } from "../chain/createChainGateway.ts";
import { tinyAdapterFile, tinyRefereeFiles, validatorBpc } from "../testing/refereeFixtures.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

async function stakeAs(client: FlockClient, taskId: number, role: "trainer" | "validator", flock: string) {
  const amount = parseFlock(flock);
  await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
  const { lockId } = await lockFlock(client, { amount, days: 365 });
  await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount });
  await stake(client, { taskId: BigInt(taskId), role, amount, lockId });
}

/** SPEC §2.1 adversarial scenario on a real chain with the real engine: a false score is proven and slashed. */
describe("a validator's false score is re-run, proven and slashed on-chain (real anvil, real engine)", () => {
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
    t = await startTestApp({ chain: gateway, clock, dataDir: join(dataDir, "coordinator") });
  });
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the liar loses its slash fraction of stake, the coordinator gets 10% of it, honest validators keep theirs", async () => {
    const creator = privateKeyToAccount(chain.accounts[9]!.privateKey);
    const trainerKey = chain.accounts[3]!;
    const validatorKeys = [chain.accounts[4]!, chain.accounts[5]!, chain.accounts[6]!];
    const liar = validatorKeys[1]!;
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

    await stakeAs(chain.clientFor(trainerKey), taskId, "trainer", "3000");
    for (const v of validatorKeys) await stakeAs(chain.clientFor(v), taskId, "validator", "4000");
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
    // Honest validators report the engine's BPC; the liar reports a 0.2 better one.
    const honest = scoreFromMetric(await validatorBpc(files, artifact, { contextLength: 48, threads: 1 }));
    for (const key of validatorKeys) {
      const v = privateKeyToAccount(key.privateKey);
      const [assignment] = (await t.signed(v, "GET", "/assignments")).json().items;
      const score = (key === liar ? honest - parseFlock("0.2") : honest).toString();
      const reported = await t.signed(v, "POST", `/assignments/${assignment.id}/score`, {
        score,
        evidence: {},
      });
      expect(reported.statusCode).toBe(201);
    }

    const coordinator = chain.clientFor(chain.roles.coordinator);
    const proverBefore = (await getBalances(coordinator, { account: chain.roles.coordinator.address }))
      .gmFlock;
    const treasuryBefore = (await getBalances(coordinator, { account: chain.roles.treasury.address }))
      .gmFlock;
    clock.advance(60 * 60_000);
    await t.app.scheduler.runDue(); // finalize: dispute opened, epoch settled, task closed
    await t.app.scheduler.runDue(); // the referee's re-run and the slash

    const expected = slash(parseFlock("4000"), 5000);
    const [recorded] = await t.repos.slashes.list({ taskId, account: liar.address });
    expect(recorded).toMatchObject({
      amount: expected.slashed,
      reason: "dishonest score",
      prover: chain.roles.coordinator.address.toLowerCase(),
    });
    const onChain = await getStake(coordinator, { taskId: BigInt(taskId), account: liar.address });
    expect(onChain.amount).toBe(parseFlock("4000") - expected.slashed);
    const proverAfter = (await getBalances(coordinator, { account: chain.roles.coordinator.address }))
      .gmFlock;
    const treasuryAfter = (await getBalances(coordinator, { account: chain.roles.treasury.address })).gmFlock;
    expect(proverAfter - proverBefore).toBe(expected.toProver);
    expect(treasuryAfter - treasuryBefore).toBe(expected.toPool);
    for (const v of [validatorKeys[0]!, validatorKeys[2]!]) {
      expect((await getStake(coordinator, { taskId: BigInt(taskId), account: v.address })).amount).toBe(
        parseFlock("4000"),
      );
    }
    const [dispute] = await t.repos.jobs.list({ kind: "score.dispute" });
    const outcome = (await t.app.http.inject({ method: "GET", url: `/disputes/${dispute!.id}` })).json();
    expect(outcome).toMatchObject({
      verdict: "dishonest",
      rerunScore: honest.toString(),
      consensus: honest.toString(),
      slashed: expected.slashed.toString(),
    });
  });
});
