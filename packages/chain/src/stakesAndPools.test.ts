import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localDeploymentSettings } from "@flock/contracts";
import { ChainError, parseFlock } from "@flock/core";
import { buildRewardTree, rewardProof } from "@flock/protocol";
import { keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approve } from "./actions/approve.ts";
import { claimRewards } from "./actions/claimRewards.ts";
import { createTask } from "./actions/createTask.ts";
import { fundTask } from "./actions/fundTask.ts";
import { getBalances } from "./actions/getBalances.ts";
import { getMinStakeFloor } from "./actions/getMinStakeFloor.ts";
import { getRewardPool } from "./actions/getRewardPool.ts";
import { getSnapshotStake } from "./actions/getSnapshotStake.ts";
import { getStake } from "./actions/getStake.ts";
import { getTaskPool } from "./actions/getTaskPool.ts";
import { isOperator } from "./actions/isOperator.ts";
import { lockFlock } from "./actions/lockFlock.ts";
import { postEpochRoot } from "./actions/postEpochRoot.ts";
import { slash } from "./actions/slash.ts";
import { stake } from "./actions/stake.ts";
import type { FlockClient } from "./client.ts";
import { collectEvents } from "./readEvents.ts";
import { type LocalChain, startLocalChain } from "./startLocalChain.ts";

// One local chain for this file; its tests run in order and share its state (and its clock).
let dataDir: string;
let chain: LocalChain;
let coordinator: FlockClient;
let creator: FlockClient;
let trainer: FlockClient;
let validator: FlockClient;
const DAY = 86_400;
const FLOOR = localDeploymentSettings.minStakeFloor;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flock-stakes-pools-"));
  chain = await startLocalChain({ dataDir });
  coordinator = chain.clientFor(chain.roles.coordinator);
  creator = chain.clientFor(chain.accounts[3]!);
  trainer = chain.clientFor(chain.accounts[4]!);
  validator = chain.clientFor(chain.accounts[5]!);
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function refusal(attempt: Promise<unknown>, code: string, message: RegExp): Promise<ChainError> {
  const error = await attempt.then(
    () => {
      throw new Error(`expected ${code}, but the action succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  expect(error).toMatchObject({ code });
  expect((error as ChainError).message).toMatch(message);
  expect((error as ChainError).hint?.length ?? 0).toBeGreaterThan(10);
  return error as ChainError;
}

async function now(): Promise<bigint> {
  return (await coordinator.publicClient.getBlock({ blockTag: "latest" })).timestamp;
}

async function lockAndApprove(client: FlockClient, flock: string): Promise<bigint> {
  const amount = parseFlock(flock);
  await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
  const { lockId, gmAmount } = await lockFlock(client, { amount, days: 30 });
  await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount: gmAmount });
  return lockId;
}

describe("stakes frozen at the submission deadline", () => {
  const taskId = 31n;
  let deadline: bigint;
  let trainerLock: bigint;
  let validatorLock: bigint;

  it("a task is created with its deadline; a deadline after the end is refused before sending", async () => {
    deadline = (await now()) + BigInt(2 * DAY);
    await expect(
      createTask(coordinator, {
        taskId,
        minStake: FLOOR,
        minLockDays: 0,
        submissionDeadline: deadline + 1n,
        endTime: deadline,
        disputeWindowSec: BigInt(DAY),
      }),
    ).rejects.toMatchObject({ code: "TASK_DEADLINE_AFTER_END" });
    await createTask(coordinator, {
      taskId,
      minStake: FLOOR,
      minLockDays: 0,
      submissionDeadline: deadline,
      endTime: deadline + BigInt(DAY),
      disputeWindowSec: BigInt(DAY),
    });
    trainerLock = await lockAndApprove(trainer, "2000");
    validatorLock = await lockAndApprove(validator, "2000");
    await stake(trainer, { taskId, role: "trainer", amount: parseFlock("500"), lockId: trainerLock });
    await stake(validator, { taskId, role: "validator", amount: parseFlock("1000"), lockId: validatorLock });
    expect(await getSnapshotStake(coordinator, { taskId, account: trainer.account.address })).toBe(
      parseFlock("500"),
    );
  });

  it("attack: a validator tops up after the deadline to outweigh the others and is refused with STAKING_CLOSED", async () => {
    await chain.advanceTime(2 * DAY);
    const error = await refusal(
      stake(validator, { taskId, role: "validator", amount: parseFlock("900"), lockId: validatorLock }),
      "STAKING_CLOSED",
      /^stake on task 31 was refused: staking on task 31 closed at its submission deadline/,
    );
    expect(error.hint).toMatch(/flock task list/);
    expect((await getStake(coordinator, { taskId, account: validator.account.address })).amount).toBe(
      parseFlock("1000"),
    );
  });

  it("attack: a trainer who first stakes after seeing the leaderboard is refused too", async () => {
    const lateLock = await lockAndApprove(chain.clientFor(chain.accounts[6]!), "1000");
    await refusal(
      stake(chain.clientFor(chain.accounts[6]!), {
        taskId,
        role: "trainer",
        amount: parseFlock("1000"),
        lockId: lateLock,
      }),
      "STAKING_CLOSED",
      /closed at its submission deadline/,
    );
    expect(await getSnapshotStake(coordinator, { taskId, account: chain.accounts[6]!.address })).toBe(0n);
  });

  it("a slash after the deadline lowers the stake but not the frozen stake that counted", async () => {
    await slash(coordinator, {
      taskId,
      account: validator.account.address,
      fractionBps: 5_000,
      evidenceHash: keccak256(toHex("validator 31 off consensus")),
      prover: trainer.account.address,
    });
    expect((await getStake(coordinator, { taskId, account: validator.account.address })).amount).toBe(
      parseFlock("500"),
    );
    expect(await getSnapshotStake(coordinator, { taskId, account: validator.account.address })).toBe(
      parseFlock("1000"),
    );
  });
});

describe("the network stake floor and the operator role", () => {
  it("a local chain's floor is the dev setting; a task minimum below it is refused with the floor in the message", async () => {
    expect(await getMinStakeFloor(creator)).toBe(FLOOR);
    const end = (await now()) + BigInt(DAY);
    const error = await refusal(
      createTask(coordinator, {
        taskId: 40n,
        minStake: 0n,
        minLockDays: 0,
        submissionDeadline: end,
        endTime: end,
        disputeWindowSec: 0n,
      }),
      "STAKE_BELOW_FLOOR",
      /a task minimum stake of 0 gmFLOCK is below the network minimum of 100/,
    );
    expect(error.hint).toMatch(/flock task create --min-stake 100/);
  });

  it("attack: 1 wei of stake on a task at the floor is refused", async () => {
    const end = (await now()) + BigInt(DAY);
    await createTask(coordinator, {
      taskId: 41n,
      minStake: FLOOR,
      minLockDays: 0,
      submissionDeadline: end,
      endTime: end,
      disputeWindowSec: 0n,
    });
    const lockId = await lockAndApprove(creator, "200");
    await refusal(
      stake(creator, { taskId: 41n, role: "trainer", amount: 1n, lockId }),
      "STAKE_BELOW_MINIMUM",
      /below its minimum of 100/,
    );
  });

  it("the admin is an operator; the coordinator and participants are not", async () => {
    expect(await isOperator(creator, { account: chain.roles.admin.address })).toBe(true);
    expect(await isOperator(creator, { account: chain.roles.coordinator.address })).toBe(false);
    expect(await isOperator(creator, { account: creator.account.address })).toBe(false);
  });
});

describe("creator-funded task pools", () => {
  const taskId = 50n;
  const epoch = 500n;

  it("a creator funds its task's pool; the FLOCK is pooled apart from the emission", async () => {
    const before = await getRewardPool(creator);
    const wallet = (await getBalances(creator, { account: creator.account.address })).flock;
    const funded = await fundTask(creator, { taskId, amount: parseFlock("1200") });
    expect(funded.poolTotal).toBe(parseFlock("1200"));
    expect(await getTaskPool(creator, { taskId })).toBe(parseFlock("1200"));
    expect((await getBalances(creator, { account: creator.account.address })).flock).toBe(
      wallet - parseFlock("1200"),
    );
    expect(await getRewardPool(creator)).toEqual({
      balance: before.balance + parseFlock("1200"),
      outstanding: before.outstanding,
      pooled: before.pooled + parseFlock("1200"),
      unallocated: before.unallocated,
    });
  });

  it("attack: an epoch drawing more than the pool holds is refused with TASK_POOL_INSUFFICIENT and nothing moves", async () => {
    const tree = buildRewardTree(epoch, [{ account: trainer.account.address, amount: parseFlock("1300") }]);
    const error = await refusal(
      postEpochRoot(coordinator, {
        epoch,
        liquidRoot: tree.root,
        vestingRoot: buildRewardTree(epoch, []).root,
        reportHash: keccak256(toHex("report 500")),
        total: parseFlock("1300"),
        pools: [{ taskId, amount: parseFlock("1300") }],
      }),
      "TASK_POOL_INSUFFICIENT",
      /draws 1300 FLOCK from the pool of task 50, which holds 1200/,
    );
    expect(error.hint).toMatch(/fundTask/);
    await refusal(
      postEpochRoot(coordinator, {
        epoch,
        liquidRoot: tree.root,
        vestingRoot: buildRewardTree(epoch, []).root,
        reportHash: keccak256(toHex("report 500")),
        total: parseFlock("1"),
        pools: [{ taskId, amount: parseFlock("2") }],
      }),
      "POOL_DRAWS_EXCEED_TOTAL",
      /draws 2 FLOCK from task pools but pays only 1 in all/,
    );
    expect(await getTaskPool(creator, { taskId })).toBe(parseFlock("1200"));
  });

  it("an epoch paid partly from the pool and partly from emission posts, pays its claims, and is indexed", async () => {
    const before = await getRewardPool(creator);
    const leaves = [
      { account: trainer.account.address, amount: parseFlock("900") },
      { account: validator.account.address, amount: parseFlock("400") },
    ];
    const tree = buildRewardTree(epoch, leaves);
    const posted = await postEpochRoot(coordinator, {
      epoch,
      liquidRoot: tree.root,
      vestingRoot: buildRewardTree(epoch, []).root,
      reportHash: keccak256(toHex("report 500")),
      total: parseFlock("1300"),
      pools: [{ taskId, amount: parseFlock("1200") }],
    });
    expect(await getTaskPool(creator, { taskId })).toBe(0n);
    expect(await getRewardPool(creator)).toEqual({
      balance: before.balance,
      outstanding: before.outstanding + parseFlock("1300"),
      pooled: before.pooled - parseFlock("1200"),
      unallocated: before.unallocated - parseFlock("100"),
    });
    const { amount, proof } = rewardProof(tree, trainer.account.address);
    const wallet = (await getBalances(trainer, { account: trainer.account.address })).flock;
    await claimRewards(trainer, { epoch, tree: "liquid", amount, proof });
    expect((await getBalances(trainer, { account: trainer.account.address })).flock).toBe(wallet + amount);
    const events = await collectEvents(creator, {
      fromBlock: BigInt(chain.manifest.blockNumber),
      kinds: ["taskFunded", "taskPoolDrawn"],
    });
    expect(events.map((event) => event.kind)).toEqual(["taskFunded", "taskPoolDrawn"]);
    const drawn = events[1]!;
    expect(drawn.blockNumber).toBe(posted.blockNumber);
    expect(drawn.args).toMatchObject({ epoch, taskId, amount: parseFlock("1200"), poolTotal: 0n });
  });
});
