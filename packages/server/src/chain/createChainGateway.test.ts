import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approve,
  fundTask,
  type LocalChain,
  localDeploymentSettings,
  lockFlock,
  manifestAddresses,
  stake,
  startLocalChain,
} from "@flock/chain";
import { contentId, parseFlock } from "@flock/core";
import { buildRewardTree } from "@flock/protocol";
import { keccak256, toHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantOperator } from "../testing/operatorAccount.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import type { ChainGateway } from "./chainGateway.ts";
import { createChainGateway } from "./createChainGateway.ts";

describe("the coordinator's chain gateway on a real anvil", () => {
  const clock = manualClock(new Date());
  const dataDir = mkdtempSync(join(tmpdir(), "flock-gateway-"));
  let chain: LocalChain;
  let gateway: ChainGateway;
  let t: TestApp;
  const taskIds: number[] = [];

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
  });
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("8 creators posting tasks at the same moment all get their task registered on-chain", async () => {
    const creators = [3, 4, 5, 6, 7, 8, 9, 2].map((i) => privateKeyToAccount(chain.accounts[i]!.privateKey));
    // Emission-paid tasks open at once for operators only (SPEC §3).
    for (const creator of creators) await grantOperator(chain, creator.address);
    const responses = await Promise.all(
      creators.map((creator, i) =>
        t.signed(creator, "POST", "/tasks", {
          title: `task of creator ${i}`,
          description: "d",
          type: "lm-lora",
          baseModel: contentId("base model"),
          contextLength: 64,
          maxTrainableParams: 1000,
          trainingSetId: contentId("train"),
          validationCommitment: contentId(`hidden ${i}`),
          submissionDeadline: new Date(clock.now().getTime() + 3_600_000).toISOString(),
          endTime: new Date(clock.now().getTime() + 7_200_000).toISOString(),
          rewardWeight: "1",
          minStake: localDeploymentSettings.minStakeFloor.toString(),
          minLockDays: 0,
        }),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array(8).fill(201));
    taskIds.push(...responses.map((response) => response.json().id as number));
    const created = [];
    for await (const event of gateway.readEvents({
      fromBlock: gateway.startBlock,
      toBlock: await gateway.headBlock(),
      kinds: ["taskCreated"],
    })) {
      if (event.kind === "taskCreated") created.push(event.args);
    }
    expect(created.map((args) => Number(args.taskId)).sort((a, b) => a - b)).toEqual(
      [...taskIds].sort((a, b) => a - b),
    );
    // the deadline the coordinator recorded is the one staking closes at on-chain
    const deadline = BigInt(Math.floor((clock.now().getTime() + 3_600_000) / 1000));
    expect(created.every((args) => args.submissionDeadline === deadline)).toBe(true);
  });

  it("reads the network floor, the operator role and frozen stakes", async () => {
    expect(await gateway.minStakeFloor()).toBe(localDeploymentSettings.minStakeFloor);
    expect(await gateway.isOperator(chain.roles.admin.address)).toBe(true);
    expect(await gateway.isOperator(chain.roles.coordinator.address)).toBe(false);
    const trainer = chain.clientFor(chain.accounts[4]!);
    const amount = parseFlock("300");
    await approve(trainer, { token: "FLOCK", spender: "GmFlock", amount });
    const { lockId } = await lockFlock(trainer, { amount, days: 0 });
    await approve(trainer, { token: "gmFLOCK", spender: "TaskStaking", amount });
    await stake(trainer, { taskId: BigInt(taskIds[0]!), role: "trainer", amount, lockId });
    const stakes = await gateway.snapshotStakes(taskIds[0]!, [
      trainer.account.address,
      chain.accounts[5]!.address,
    ]);
    expect([...stakes]).toEqual([
      [trainer.account.address.toLowerCase(), amount],
      [chain.accounts[5]!.address.toLowerCase(), 0n],
    ]);
  });

  it("an epoch draws a creator's pool through the gateway; a draw beyond the pool is refused", async () => {
    const taskId = taskIds[1]!;
    await fundTask(chain.clientFor(chain.accounts[3]!), { taskId: BigInt(taskId), amount: parseFlock("50") });
    expect(await gateway.taskPool(taskId)).toBe(parseFlock("50"));
    const tree = buildRewardTree(77n, [{ account: chain.accounts[4]!.address, amount: parseFlock("60") }]);
    const post = {
      epoch: 77n,
      liquidRoot: tree.root,
      vestingRoot: buildRewardTree(77n, []).root,
      reportHash: keccak256(toHex("epoch 77")),
      total: parseFlock("60"),
    };
    await expect(
      gateway.postEpochRoot({ ...post, pools: [{ taskId, amount: parseFlock("60") }] }),
    ).rejects.toMatchObject({ code: "TASK_POOL_INSUFFICIENT" });
    const before = await gateway.rewardPool();
    await gateway.postEpochRoot({ ...post, pools: [{ taskId, amount: parseFlock("50") }] });
    expect(await gateway.taskPool(taskId)).toBe(0n);
    expect((await gateway.rewardPool()).unallocated).toBe(before.unallocated - parseFlock("10"));
  });

  it("the first block after a time is null until the chain passes it", async () => {
    const head = await gateway.blockTime(await gateway.headBlock());
    const later = new Date(head.getTime() + 600_000);
    expect(await gateway.firstBlockAfter(later)).toBeNull();
    await chain.advanceTime(601);
    const block = await gateway.firstBlockAfter(later);
    expect(block?.number).toBe(await gateway.headBlock());
    expect(block!.time.getTime()).toBeGreaterThan(later.getTime());
  });
});
