import { parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { rewardDistributorAbi, rewardTree } from "../src/index.ts";
import { createFixture, DAY, type Fixture, FLOCK } from "./support/fixture.ts";
import {
  type GasAction,
  runEconomyScenario,
  SCENARIO_EPOCH,
  SCENARIO_REPORT_HASH,
  SCENARIO_TASK,
  SCENARIO_TASK_POOL,
  scenarioTrees,
} from "./support/scenario.ts";

describe("end to end: lock → stake → delegate → epoch root → claims → slash → unlock with fee", () => {
  let fx: Fixture;
  let receipts: Record<GasAction, Awaited<ReturnType<typeof runEconomyScenario>>[GasAction]>;
  beforeAll(async () => {
    fx = await createFixture();
    receipts = await runEconomyScenario(fx);
  });

  const flockOf = (address: `0x${string}`) => fx.flock.flockToken.read.balanceOf([address]);
  const gmOf = (address: `0x${string}`) => fx.flock.gmFlock.read.balanceOf([address]);

  it("the epoch is on-chain with its report hash and the roots of protocol's trees", async () => {
    const { liquid, vesting } = scenarioTrees(fx);
    const [liquidRoot, vestingRoot, reportHash, , duration] = await fx.flock.rewardDistributor.read.epochs([
      SCENARIO_EPOCH,
    ]);
    expect([liquidRoot, vestingRoot, reportHash, duration]).toEqual([
      liquid.root,
      vesting.root,
      SCENARIO_REPORT_HASH,
      30n * DAY,
    ]);
  });

  it("the trainer gets her liquid reward, the vested part of her locked reward, and 95% of her lock back", async () => {
    const { alice } = fx.wallets;
    const [, , , postedAt] = await fx.flock.rewardDistributor.read.epochs([SCENARIO_EPOCH]);
    const claimBlock = await fx.net.publicClient.getBlock({
      blockNumber: receipts["claim vesting"].blockNumber,
    });
    const vested = (900n * FLOCK * (claimBlock.timestamp - postedAt)) / (30n * DAY);
    const [claimed] = parseEventLogs({
      abi: rewardDistributorAbi,
      logs: receipts["claim vesting"].logs,
      eventName: "Claimed",
    });
    expect(claimed?.args.amount).toBe(vested);
    expect(
      await fx.flock.rewardDistributor.read.claimed([
        SCENARIO_EPOCH,
        rewardTree.vesting,
        alice.account.address,
      ]),
    ).toBe(vested);
    // 100,000 funded − 10,000 locked + 100 liquid + vested + 9,500 back from the lock
    expect(await flockOf(alice.account.address)).toBe(
      90_000n * FLOCK + 100n * FLOCK + vested + 9_500n * FLOCK,
    );
    expect(await gmOf(alice.account.address)).toBe(0n);
  });

  it("the slashed validator keeps 90% of its stake; the prover and treasury split the slash 10/90", async () => {
    const { bob, dave, treasury } = fx.wallets;
    // bob's lock: 10,000 FLOCK for 90 days = 13,600 gmFLOCK; 4,000 staked, 400 slashed
    expect(await gmOf(bob.account.address)).toBe(13_600n * FLOCK - 400n * FLOCK);
    expect(await gmOf(dave.account.address)).toBe(40n * FLOCK);
    expect(await gmOf(treasury.account.address)).toBe(360n * FLOCK);
    expect(await flockOf(bob.account.address)).toBe(90_000n * FLOCK + 300n * FLOCK);
    // the slash came after the submission deadline: bob's stake that counted for the task stays 4,000
    expect(await fx.flock.taskStaking.read.snapshotStakeOf([SCENARIO_TASK, bob.account.address])).toBe(
      4_000n * FLOCK,
    );
  });

  it("the delegator's remaining delegation stays in the pool; the task's stakes are all withdrawn", async () => {
    const { alice, carol } = fx.wallets;
    expect(
      await fx.flock.delegationPools.read.delegations([alice.account.address, carol.account.address]),
    ).toBe(2_000n * FLOCK);
    expect(await gmOf(fx.flock.addresses.DelegationPools)).toBe(2_000n * FLOCK);
    expect(await gmOf(fx.flock.addresses.TaskStaking)).toBe(0n);
    const task = await fx.flock.taskStaking.read.tasks([SCENARIO_TASK]);
    expect([task[7], task[8]]).toEqual([0n, 0n]);
  });

  it("every FLOCK is accounted for: the treasury has the 5% redemption fee, the distributor the unclaimed rest", async () => {
    const { treasury, alice } = fx.wallets;
    expect(await flockOf(treasury.account.address)).toBe(500n * FLOCK);
    const vested = await fx.flock.rewardDistributor.read.claimed([
      SCENARIO_EPOCH,
      rewardTree.vesting,
      alice.account.address,
    ]);
    // one daily mint and dave's task pool came in; 450 liquid and the vested part went out
    expect(await flockOf(fx.flock.addresses.RewardDistributor)).toBe(
      1_000_000n * FLOCK + SCENARIO_TASK_POOL - 450n * FLOCK - vested,
    );
    expect(await flockOf(fx.wallets.dave.account.address)).toBe(100_000n * FLOCK - SCENARIO_TASK_POOL);
    expect(await fx.flock.rewardDistributor.read.taskPool([SCENARIO_TASK])).toBe(0n);
    // the epoch promised 1,350 (450 liquid + 900 vesting); what it has not paid yet is still reserved
    const [, , , , , total, claimedTotal] = await fx.flock.rewardDistributor.read.epochs([SCENARIO_EPOCH]);
    expect([total, claimedTotal]).toEqual([1_350n * FLOCK, 450n * FLOCK + vested]);
    expect(await fx.flock.rewardDistributor.read.outstanding()).toBe(900n * FLOCK - vested);
    // the pool paid its 350, so the emission paid only the other 1,000
    expect(await fx.flock.rewardDistributor.read.unallocated()).toBe(
      1_000_000n * FLOCK - (1_350n * FLOCK - SCENARIO_TASK_POOL),
    );
    // two daily mints of E0 so far: the fixture's funding mint and the scenario's
    expect(await fx.flock.flockToken.read.totalSupply()).toBe(2_000_000n * FLOCK);
  });

  it("every measured user action succeeded", () => {
    for (const receipt of Object.values(receipts)) {
      expect(receipt.status).toBe("success");
      expect(receipt.gasUsed).toBeGreaterThan(21_000n);
    }
  });
});
