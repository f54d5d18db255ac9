import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approve,
  cancelTaskPool,
  claimRewards,
  type DevAccount,
  type FlockEvent,
  type FlockEventKind,
  fundTask,
  getBalances,
  type LocalChain,
  localDeploymentSettings,
  lockFlock,
  manifestAddresses,
  refundTaskFunding,
  stake,
} from "@flock/chain";
import { contentId, parseFlock } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { lockAndStake, startChainWithGateway } from "../testing/chainStaking.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { commitScore, revealAndFinalize } from "../testing/scoreReveal.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const FLOOR = localDeploymentSettings.minStakeFloor;
const throwaway = () => privateKeyToAccount(generatePrivateKey());

/**
 * SPEC §3: "Anyone may post a task that funds its own reward pool on-chain; tasks paid from emission are approved
 * by the operator role; a network minimum stake applies to every role." Each attack is tried as an attacker
 * would, over HTTP against the coordinator with the real chain gateway on anvil, and ends in a refusal with
 * nothing paid that the emission and the funded pools did not bring.
 */
describe("who pays for a task, attacked (real anvil, real chain gateway)", () => {
  const clock = manualClock(new Date());
  const dataDir = mkdtempSync(join(tmpdir(), "flock-server-funding-"));
  let chain: LocalChain;
  let gateway: ChainGateway;
  let t: TestApp;
  let fromBlock: bigint;
  /** What the RewardDistributor held before the attacks: emission sent to it when the chain was made. */
  let emissionAtStart: bigint;
  let hidden = 0;

  const body = (overrides: Record<string, unknown> = {}) => {
    hidden += 1;
    const start = clock.now().getTime();
    return {
      title: "funding attack",
      description: "d",
      type: "lm-lora",
      baseModel: contentId("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: contentId("train"),
      validationCommitment: contentId(`funding attack hidden ${hidden}`),
      submissionDeadline: new Date(start + 3_600_000).toISOString(),
      endTime: new Date(start + 7_200_000).toISOString(),
      rewardWeight: "0",
      minStake: FLOOR.toString(),
      minLockDays: 0,
      ...overrides,
    };
  };
  const events = async <K extends FlockEventKind>(kind: K): Promise<Extract<FlockEvent, { kind: K }>[]> => {
    const found: FlockEvent[] = [];
    for await (const event of gateway.readEvents({
      fromBlock,
      toBlock: await gateway.headBlock(),
      kinds: [kind],
    }))
      found.push(event);
    return found as Extract<FlockEvent, { kind: K }>[];
  };
  const registeredOnChain = async () =>
    new Set((await events("taskCreated")).map((e) => Number(e.args.taskId)));
  const client = (account: DevAccount) => chain.clientFor(account);

  beforeAll(async () => {
    ({ chain, gateway } = await startChainWithGateway(join(dataDir, "chain")));
    t = await startTestApp({ chain: gateway, clock, dataDir: join(dataDir, "coordinator") });
    await t.publish("base model");
    await t.publish("train");
    fromBlock = (await gateway.headBlock()) + 1n;
    emissionAtStart = (await gateway.rewardPool()).balance;
    // The coordinator's clock follows the chain's, so deadlines are in the chain's future.
    clock.set(await gateway.blockTime(await gateway.headBlock()));
  });
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("anyone drains the emission: throwaway keys' emission tasks never open and take nothing", async () => {
    await chain.advanceTime(12 * 3600 + 1);
    expect(await gateway.mintEmissionIfDue()).not.toBeNull();
    clock.set(await gateway.blockTime(await gateway.headBlock()));
    const before = await gateway.rewardPool();
    const drafts: number[] = [];
    for (const attacker of [throwaway(), throwaway(), throwaway()]) {
      for (let i = 0; i < 2; i++) {
        const created = await t.signed(attacker, "POST", "/tasks", body({ rewardWeight: "1000000" }));
        expect(created.statusCode).toBe(201);
        expect(created.json()).toMatchObject({ status: "draft", approvedWeight: null });
        const id: number = created.json().id;
        drafts.push(id);
        const opened = await t.signed(attacker, "POST", `/tasks/${id}/open`, {});
        expect(opened.statusCode).toBe(409);
        expect(opened.json().code).toBe("TASK_NOT_APPROVED");
        // Approving its own weight needs the operator role the attacker does not have.
        const self = await t.signed(attacker, "POST", `/tasks/${id}/approve`, { weight: "1000000" });
        expect(self.statusCode).toBe(403);
        expect(self.json().code).toBe("NOT_OPERATOR");
      }
    }
    const onChain = await registeredOnChain();
    expect(drafts.filter((id) => onChain.has(id))).toEqual([]);
    for (const id of drafts) {
      expect((await t.repos.tasks.get(id)).status).toBe("draft");
      expect((await t.repos.funding.get(id)).approvedWeight).toBeNull();
    }
    await t.app.scheduler.runDue();
    expect(await gateway.rewardPool()).toEqual(before);
  });

  it("a self-dealing task: a 10^78 − 1 weight and a 1 wei minimum are refused at creation, a 1 wei stake on-chain", async () => {
    const creatorTrainer = throwaway();
    const count = async () => (await t.repos.tasks.list({ limit: 500 })).items.length;
    const before = await count();
    const huge = await t.signed(
      creatorTrainer,
      "POST",
      "/tasks",
      body({ rewardWeight: (10n ** 78n - 1n).toString(), minStake: "1" }),
    );
    expect(huge.statusCode).toBe(400);
    expect(huge.json().code).toBe("TASK_WEIGHT_TOO_LARGE");
    const dust = await t.signed(creatorTrainer, "POST", "/tasks", body({ rewardWeight: "1", minStake: "1" }));
    expect(dust.statusCode).toBe(400);
    expect(dust.json()).toMatchObject({
      code: "TASK_STAKE_BELOW_FLOOR",
      details: { floor: FLOOR.toString() },
    });
    // An operator is held to the floor too.
    const operatorDust = await t.signed(
      operatorAccount,
      "POST",
      "/tasks",
      body({ rewardWeight: "1", minStake: "1" }),
    );
    expect(operatorDust.json().code).toBe("TASK_STAKE_BELOW_FLOOR");
    expect(await count()).toBe(before);

    // The chain holds the floor whatever the coordinator does: no 1 wei task minimum, no 1 wei stake.
    const now = BigInt(Math.floor(clock.now().getTime() / 1000));
    await expect(
      gateway.registerTask({
        taskId: 999_999,
        minStake: 1n,
        minLockDays: 0,
        submissionDeadline: new Date(Number(now + 3600n) * 1000),
        endTime: new Date(Number(now + 7200n) * 1000),
      }),
    ).rejects.toMatchObject({ code: "STAKE_BELOW_FLOOR" });
    const task = (await t.signed(operatorAccount, "POST", "/tasks", body({ rewardWeight: "1" }))).json();
    expect(task.status).toBe("open");
    const dustStaker = client(chain.accounts[3]!);
    await approve(dustStaker, { token: "FLOCK", spender: "GmFlock", amount: FLOOR });
    const { lockId } = await lockFlock(dustStaker, { amount: FLOOR, days: 0 });
    await approve(dustStaker, { token: "gmFLOCK", spender: "TaskStaking", amount: 1n });
    await expect(
      stake(dustStaker, { taskId: BigInt(task.id), role: "trainer", amount: 1n, lockId }),
    ).rejects.toMatchObject({ code: "STAKE_BELOW_MINIMUM" });
  });

  it("a pool is refused at open until funded in full; funded, it pays its winner and returns the rest to its creator", async () => {
    await chain.advanceTime(60);
    clock.set(await gateway.blockTime(await gateway.headBlock()));
    const creatorKey = chain.accounts[5]!;
    const creator = privateKeyToAccount(creatorKey.privateKey);
    const trainerKey = chain.accounts[6]!;
    const validatorKey = chain.accounts[7]!;
    // Task A asks for emission too, which no operator approves: it is paid by its pool alone.
    const a = (
      await t.signed(
        creator,
        "POST",
        "/tasks",
        body({ pool: parseFlock("1000").toString(), rewardWeight: "7" }),
      )
    ).json();
    // Task B draws no participant: its whole pool goes back.
    const b = (
      await t.signed(creator, "POST", "/tasks", body({ pool: parseFlock("300").toString() }))
    ).json();
    expect([a.status, b.status]).toEqual(["draft", "draft"]);

    const unfunded = await t.signed(creator, "POST", `/tasks/${a.id}/open`, {});
    expect(unfunded.statusCode).toBe(409);
    expect(unfunded.json()).toMatchObject({
      code: "TASK_POOL_UNFUNDED",
      details: { missing: parseFlock("1000").toString() },
    });
    expect(unfunded.json().hint).toContain(`flock task fund ${a.id}`);
    await fundTask(client(creatorKey), { taskId: BigInt(a.id), amount: parseFlock("400") });
    const short = await t.signed(creator, "POST", `/tasks/${a.id}/open`, {});
    expect(short.json()).toMatchObject({
      code: "TASK_POOL_UNFUNDED",
      details: { missing: parseFlock("600").toString() },
    });
    expect((await registeredOnChain()).has(a.id)).toBe(false);
    await fundTask(client(creatorKey), { taskId: BigInt(a.id), amount: parseFlock("600") });
    await fundTask(client(creatorKey), { taskId: BigInt(b.id), amount: parseFlock("300") });
    for (const id of [a.id, b.id]) {
      const opened = await t.signed(creator, "POST", `/tasks/${id}/open`, {});
      expect(opened.statusCode).toBe(200);
      expect(opened.json().status).toBe("open");
    }
    expect((await registeredOnChain()).has(a.id)).toBe(true);

    await lockAndStake(client(trainerKey), { taskId: a.id, role: "trainer", amount: FLOOR });
    await lockAndStake(client(validatorKey), { taskId: a.id, role: "validator", amount: FLOOR });
    await t.app.indexer.sync();
    const trainer = privateKeyToAccount(trainerKey.privateKey);
    const validator = privateKeyToAccount(validatorKey.privateKey);
    const adapter = new TextEncoder().encode("the winner's adapter");
    const commit = (
      await t.signed(trainer, "POST", `/tasks/${a.id}/submissions`, { commitHash: contentId(adapter) })
    ).json();
    expect((await t.upload(trainer, `/submissions/${commit.id}/artifact`, adapter)).json().status).toBe(
      "accepted",
    );

    const start = new Date(a.submissionDeadline).getTime() - 3_600_000;
    await chain.advanceTime(3_600 + 1);
    clock.set(new Date(start + 3_600_000 + 1000));
    await t.app.scheduler.runDue();
    const [assignment] = (await t.signed(validator, "GET", "/assignments")).json().items;
    const pending = await commitScore(t, validator, assignment.id, 1_250_000_000_000_000_000n);
    await revealAndFinalize(t, clock, new Date(a.endTime), [pending]);
    await t.app.scheduler.runDue();
    await t.app.scheduler.runDue();

    // Each task settles in a network-wide epoch; the report pays its pool and refunds what it did not pay.
    const settled = async (taskId: number) => {
      const [epoch] = await t.repos.epochs.list({ taskId });
      expect(epoch?.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      const report = JSON.parse(new TextDecoder().decode(await t.artifacts.read(epoch!.reportId)));
      const refund = (report.outputs.refunds as { task: string; refund: string }[]).find(
        (r) => r.task === String(taskId),
      );
      const split = report.stages.splits.find((s: { task: string }) => s.task === String(taskId));
      return { epoch: epoch!.number, refund: BigInt(refund!.refund), split };
    };
    const settledA = await settled(a.id);
    const settledB = await settled(b.id);
    // Unapproved, the 7 it asked for is worth nothing: R0 is its pool.
    expect(settledA.split).toMatchObject({ emission: "0", pool: parseFlock("1000").toString() });
    expect(settledB.refund).toBe(parseFlock("300"));
    expect(await gateway.taskPool(a.id)).toBe(0n);
    expect(await gateway.taskPool(b.id)).toBe(0n);

    const proofsOf = async (epoch: number, account: string) =>
      (await t.app.http.inject({ method: "GET", url: `/epochs/${epoch}/proofs/${account}` })).json();
    const earned = async (epoch: number, account: string) => {
      const p = await proofsOf(epoch, account);
      return BigInt(p.liquid?.amount ?? "0") + BigInt(p.vesting?.amount ?? "0");
    };
    const paidTrainer = await earned(settledA.epoch, trainer.address);
    const paidValidator = await earned(settledA.epoch, validator.address);
    expect(paidTrainer).toBeGreaterThan(0n);
    expect(paidValidator).toBeGreaterThan(0n);
    // The pool pays exactly its winner, its validator and its creator's refund.
    expect(paidTrainer + paidValidator + settledA.refund).toBe(parseFlock("1000"));

    // Claimed on-chain: the creator gets each refund back, the winner its liquid reward.
    const claims: [DevAccount, number, bigint | undefined][] = [
      [trainerKey, settledA.epoch, undefined],
      [creatorKey, settledB.epoch, settledB.refund],
    ];
    if (settledA.refund > 0n) claims.push([creatorKey, settledA.epoch, settledA.refund]);
    for (const [key, epoch, refund] of claims) {
      const liquid = (await proofsOf(epoch, key.address)).liquid;
      const before = (await getBalances(client(key), { account: key.address })).flock;
      const claim = await claimRewards(client(key), {
        epoch: BigInt(epoch),
        tree: "liquid",
        amount: BigInt(liquid.amount),
        proof: liquid.proof,
      });
      const after = (await getBalances(client(key), { account: key.address })).flock;
      expect(after - before).toBe(claim.paid);
      expect(claim.gross).toBe(BigInt(liquid.amount));
      if (refund !== undefined) expect(claim.gross).toBe(refund);
    }
  });

  it("eight creators at the same moment: eight drafts, funded by anyone, all open and registered on-chain", async () => {
    await chain.advanceTime(60);
    clock.set(await gateway.blockTime(await gateway.headBlock()));
    const creators = Array.from({ length: 8 }, throwaway);
    const created = await Promise.all(
      creators.map((creator) =>
        t.signed(creator, "POST", "/tasks", body({ pool: parseFlock("5").toString() })),
      ),
    );
    expect(created.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    const ids = created.map((r) => r.json().id as number);
    // Anyone may fund any task's pool (RewardDistributor.fundTask).
    const funder = client(chain.accounts[9]!);
    for (const id of ids) await fundTask(funder, { taskId: BigInt(id), amount: parseFlock("5") });
    const opened = await Promise.all(
      creators.map((creator, i) => t.signed(creator, "POST", `/tasks/${ids[i]}/open`, {})),
    );
    expect(opened.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    const onChain = await registeredOnChain();
    expect(ids.every((id) => onChain.has(id))).toBe(true);
  });

  it("a funded draft that never opens: a stranger cannot cancel or take its pool; its creator cancels and is refunded once", async () => {
    await chain.advanceTime(60);
    clock.set(await gateway.blockTime(await gateway.headBlock()));
    const creatorKey = chain.accounts[8]!;
    const creator = privateKeyToAccount(creatorKey.privateKey);
    const strangerKey = chain.accounts[4]!;
    const stranger = privateKeyToAccount(strangerKey.privateKey);
    const draft = (
      await t.signed(creator, "POST", "/tasks", body({ pool: parseFlock("250").toString() }))
    ).json();
    expect(draft.status).toBe("draft");
    const flockOf = async (key: DevAccount) =>
      (await getBalances(client(key), { account: key.address })).flock;
    const before = await flockOf(creatorKey);
    const poolsBefore = (await gateway.rewardPool()).unallocated;
    await fundTask(client(creatorKey), { taskId: BigInt(draft.id), amount: parseFlock("250") });
    expect(await flockOf(creatorKey)).toBe(before - parseFlock("250"));

    // Attack: a stranger cancels someone else's draft, or takes its pool before or after the cancel.
    const refused = await t.signed(stranger, "POST", `/tasks/${draft.id}/cancel`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe("NOT_CREATOR");
    await expect(refundTaskFunding(client(strangerKey), { taskId: BigInt(draft.id) })).rejects.toMatchObject({
      code: "TASK_POOL_NOT_CANCELLED",
    });
    await expect(cancelTaskPool(client(strangerKey), { taskId: BigInt(draft.id) })).rejects.toMatchObject({
      code: "MISSING_ROLE",
    });
    expect((await t.repos.tasks.get(draft.id)).status).toBe("draft");

    const cancelled = await t.signed(creator, "POST", `/tasks/${draft.id}/cancel`);
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().status).toBe("cancelled");
    // Cancelling again is the same answer, and a cancelled draft never opens.
    expect((await t.signed(creator, "POST", `/tasks/${draft.id}/cancel`)).json().status).toBe("cancelled");
    const reopen = await t.signed(creator, "POST", `/tasks/${draft.id}/open`, {});
    expect(reopen.statusCode).toBe(409);
    expect(reopen.json().code).toBe("TASK_NOT_DRAFT");
    expect((await registeredOnChain()).has(draft.id)).toBe(false);

    await expect(refundTaskFunding(client(strangerKey), { taskId: BigInt(draft.id) })).rejects.toMatchObject({
      code: "NOTHING_TO_REFUND",
    });
    const refund = await refundTaskFunding(client(creatorKey), { taskId: BigInt(draft.id) });
    expect(refund.amount).toBe(parseFlock("250"));
    await expect(refundTaskFunding(client(creatorKey), { taskId: BigInt(draft.id) })).rejects.toMatchObject({
      code: "NOTHING_TO_REFUND",
    });
    // Nothing lost, nothing made: the creator has its FLOCK back, the pool is empty, the emission untouched.
    expect(await flockOf(creatorKey)).toBe(before);
    expect(await gateway.taskPool(draft.id)).toBe(0n);
    expect((await gateway.rewardPool()).unallocated).toBe(poolsBefore);
    // An open task is bound: it cannot be cancelled.
    const operatorTask = (
      await t.signed(operatorAccount, "POST", "/tasks", body({ rewardWeight: "1" }))
    ).json();
    expect(operatorTask.status).toBe("open");
    const late = await t.signed(operatorAccount, "POST", `/tasks/${operatorTask.id}/cancel`);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe("TASK_NOT_DRAFT");
  });

  it("no epoch promised more than the emission that came in plus the pools creators funded", async () => {
    const minted = (await events("emissionMinted"))
      .filter(
        (e) =>
          e.args.recipient.toLowerCase() ===
          manifestAddresses(chain.manifest).RewardDistributor.toLowerCase(),
      )
      .reduce((sum, e) => sum + e.args.amount, 0n);
    const funded = (await events("taskFunded")).reduce((sum, e) => sum + e.args.amount, 0n);
    const promised = (await events("epochRootPosted")).reduce((sum, e) => sum + e.args.total, 0n);
    expect(promised).toBeGreaterThan(0n);
    expect(promised).toBeLessThanOrEqual(emissionAtStart + minted + funded);
    expect((await gateway.rewardPool()).outstanding).toBeLessThanOrEqual(emissionAtStart + minted + funded);
  });
});
