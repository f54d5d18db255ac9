import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approve,
  claimRewards,
  delegate,
  type FlockClient,
  getStake,
  type LocalChain,
  lockFlock,
  manifestAddresses,
  setSigma,
  stake,
  startLocalChain,
} from "@flock/chain";
import { contentId, parseFlock } from "@flock/core";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { createChainGateway } from "../chain/createChainGateway.ts";
import { commitScore, revealScores } from "../testing/scoreReveal.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { STAKE_CURSOR } from "./stakeIndexer.ts";

async function lock(client: FlockClient, flock: string): Promise<bigint> {
  const amount = parseFlock(flock);
  await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
  return (await lockFlock(client, { amount, days: 365 })).lockId;
}

async function stakeAs(client: FlockClient, taskId: number, role: "trainer" | "validator", flock: string) {
  const lockId = await lock(client, flock);
  await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount: parseFlock(flock) });
  await stake(client, { taskId: BigInt(taskId), role, amount: parseFlock(flock), lockId });
}

describe("roles from on-chain stake and settlement on-chain (real anvil)", () => {
  const clock = manualClock(new Date());
  const dataDir = mkdtempSync(join(tmpdir(), "flock-server-chain-"));
  let chain: LocalChain;
  let gateway: ChainGateway;
  let t: TestApp;
  let taskId: number;

  beforeAll(async () => {
    chain = await startLocalChain({ dataDir: join(dataDir, "chain") });
    gateway = createChainGateway({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      addresses: manifestAddresses(chain.manifest),
      coordinatorKey: chain.roles.coordinator.privateKey,
      startBlock: BigInt(chain.manifest.blockNumber),
    });
    t = await startTestApp({ chain: gateway, clock, dataDir: join(dataDir, "coordinator") });
    await t.publish("base model");
    await t.publish("train");
    // The local chain's admin holds the operator role: its emission-paid task opens at once (SPEC §3).
    const creator = privateKeyToAccount(chain.roles.admin.privateKey);
    const created = await t.signed(creator, "POST", "/tasks", {
      title: "t",
      description: "d",
      type: "lm-lora",
      baseModel: contentId("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: contentId("train"),
      validationCommitment: contentId("hidden"),
      submissionDeadline: new Date(clock.now().getTime() + 3_600_000).toISOString(),
      endTime: new Date(clock.now().getTime() + 7_200_000).toISOString(),
      rewardWeight: "1",
      minStake: parseFlock("3000").toString(),
      minLockDays: 30,
    });
    expect(created.statusCode).toBe(201);
    taskId = created.json().id;
  });
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a trainer who stakes on-chain may commit; the validator and a non-staker may not", async () => {
    const trainer = chain.accounts[3]!;
    const validator = chain.accounts[4]!;
    const stranger = chain.accounts[5]!;
    const commit = (account: { privateKey: `0x${string}` }, label: string) =>
      t.signed(privateKeyToAccount(account.privateKey), "POST", `/tasks/${taskId}/submissions`, {
        commitHash: contentId(label),
      });

    const before = await commit(trainer, "early");
    expect(before.statusCode).toBe(403);
    expect(before.json().code).toBe("STAKE_REQUIRED");

    await stakeAs(chain.clientFor(trainer), taskId, "trainer", "3000");
    await stakeAs(chain.clientFor(validator), taskId, "validator", "4000");

    // No explicit sync: the guard reads the chain when the index does not know the stake yet.
    const after = await commit(trainer, "adapter");
    expect(after.statusCode).toBe(201);
    expect((await commit(validator, "x")).json().code).toBe("ROLE_REQUIRED");
    expect((await commit(stranger, "y")).json().code).toBe("STAKE_REQUIRED");

    expect(await t.repos.stakes.get(taskId, trainer.address)).toMatchObject({
      role: "trainer",
      amount: parseFlock("3000"),
    });
    expect(await t.repos.stakes.get(taskId, validator.address)).toMatchObject({
      role: "validator",
      amount: parseFlock("4000"),
    });
    const head = await chain.clientFor(trainer).publicClient.getBlockNumber({ cacheTime: 0 });
    expect(await t.repos.chainCursors.get(STAKE_CURSOR)).toBe(Number(head));
  });

  it("indexes delegations with their block time, and a second sync applies nothing twice", async () => {
    const participant = chain.clientFor(chain.accounts[3]!);
    const delegator = chain.clientFor(chain.accounts[6]!);
    await setSigma(participant, { sigmaBps: 5000 });
    await lock(delegator, "1000");
    await approve(delegator, { token: "gmFLOCK", spender: "DelegationPools", amount: parseFlock("1000") });
    await delegate(delegator, { participant: chain.accounts[3]!.address, amount: parseFlock("1000") });
    expect(await t.app.indexer.sync()).toBeGreaterThan(0);
    const delegation = await t.repos.delegations.get(chain.accounts[3]!.address, chain.accounts[6]!.address);
    expect(delegation?.amount).toBe(parseFlock("1000"));
    expect(Math.abs(delegation!.since.getTime() - Date.now())).toBeLessThan(120_000);
    expect(await t.app.indexer.sync()).toBe(0);
  });

  it("a finalized task's epoch root is posted on-chain and a validator claims its reward with the served proof", async () => {
    const trainer = privateKeyToAccount(chain.accounts[3]!.privateKey);
    const validator = privateKeyToAccount(chain.accounts[4]!.privateKey);
    const [submission] = (
      await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/submissions` })
    ).json().items;
    const bytes = new TextEncoder().encode("adapter");
    const path = `/submissions/${submission.id}/artifact`;
    const headers = await signedHeaders({
      account: trainer,
      chainId: chain.chainId,
      verifyingContract: gateway.requestVerifier,
      method: "PUT",
      path,
      bodyHash: `0x${contentId(bytes).slice(7)}`,
      timestamp: Math.floor(clock.now().getTime() / 1000),
    });
    const uploaded = await t.app.http.inject({
      method: "PUT",
      url: path,
      headers: { ...headers, "content-type": "application/octet-stream" },
      payload: Buffer.from(bytes),
    });
    expect(uploaded.json().status).toBe("accepted");

    // A copier stakes, commits the same hash and uploads the same bytes: marked a copy and slashed on-chain.
    const copierKey = chain.accounts[7]!;
    const copier = privateKeyToAccount(copierKey.privateKey);
    await stakeAs(chain.clientFor(copierKey), taskId, "trainer", "3000");
    const copied = (
      await t.signed(copier, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(bytes) })
    ).json();
    const copyPath = `/submissions/${copied.id}/artifact`;
    const copyUpload = await t.app.http.inject({
      method: "PUT",
      url: copyPath,
      headers: {
        ...(await signedHeaders({
          account: copier,
          chainId: chain.chainId,
          verifyingContract: gateway.requestVerifier,
          method: "PUT",
          path: copyPath,
          bodyHash: `0x${contentId(bytes).slice(7)}`,
          timestamp: Math.floor(clock.now().getTime() / 1000),
        })),
        "content-type": "application/octet-stream",
      },
      payload: Buffer.from(bytes),
    });
    expect(copyUpload.json()).toMatchObject({ status: "copy", copyOf: submission.id });
    await t.app.scheduler.runDue();
    const [slashed] = await t.repos.slashes.list({ taskId, account: copier.address });
    expect(slashed?.amount).toBe(parseFlock("1500")); // 50% of 3000 gmFLOCK
    const onChain = await getStake(chain.clientFor(copierKey), {
      taskId: BigInt(taskId),
      account: copier.address,
    });
    expect(onChain.amount).toBe(parseFlock("1500"));
    await t.app.indexer.sync();
    expect((await t.repos.stakes.get(taskId, copier.address))?.amount).toBe(parseFlock("1500"));

    clock.advance(61 * 60_000);
    await t.app.scheduler.runDue();
    const [assignment] = (await t.signed(validator, "GET", "/assignments")).json().items;
    expect(assignment.submissionId).toBe(submission.id);
    // The seed is the chain's latest block hash at the deadline: public, unknown in advance.
    expect(assignment.seed).toMatch(/^0x[0-9a-f]{64}$/);
    const pending = await commitScore(t, validator, assignment.id, 1_300_000_000_000_000_000n, {
      bpc: "1.3",
    });

    // The coordinator mints the daily emission into the distributor when due: the local chain's first mint
    // happened at its start, so the next one waits 12 hours (chain time).
    const coordinator = chain.clientFor(chain.roles.coordinator);
    expect(await gateway.mintEmissionIfDue()).toBeNull();
    const poolBefore = await gateway.rewardPool();
    await chain.advanceTime(12 * 3600 + 1);
    const mint = await gateway.mintEmissionIfDue();
    expect(mint).toMatchObject({ mintIndex: 1n });
    expect((await gateway.rewardPool()).unallocated).toBe(poolBefore.unallocated + mint!.amount);
    expect(await gateway.mintEmissionIfDue()).toBeNull();

    // The task ends an hour later: the score is revealed, and the reveal window's close finalizes it.
    clock.advance(60 * 60_000 + 1000);
    await revealScores(t, [pending]);
    clock.advance(t.app.config.revealWindowMs);
    await t.app.scheduler.runDue();
    const [epoch] = (await t.app.http.inject({ method: "GET", url: `/epochs?taskId=${taskId}` })).json()
      .items;
    expect(epoch.txHash).toMatch(/^0x[0-9a-f]{64}$/);
    const receipt = await coordinator.publicClient.getTransactionReceipt({ hash: epoch.txHash });
    expect(receipt.status).toBe("success");
    expect((await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}` })).json().status).toBe(
      "closed",
    );

    const proofs = (
      await t.app.http.inject({ method: "GET", url: `/epochs/${epoch.number}/proofs/${validator.address}` })
    ).json();
    const claim = await claimRewards(chain.clientFor(chain.accounts[4]!), {
      epoch: BigInt(epoch.number),
      tree: "liquid",
      amount: BigInt(proofs.liquid.amount),
      proof: proofs.liquid.proof,
    });
    expect(claim.gross).toBe(BigInt(proofs.liquid.amount));
    expect(claim.paid).toBeGreaterThan(0n);
  });
});
