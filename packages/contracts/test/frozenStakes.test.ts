import { keccak256, parseEventLogs, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultDeploymentSettings, roles, stakeRole, taskStakingAbi, taskStatus } from "../src/index.ts";
import { confirm } from "./support/deploy.ts";
import {
  addressOf,
  createFixture,
  createTask,
  DAY,
  FIXTURE_STAKE_FLOOR,
  type Fixture,
  FLOCK,
  increaseTime,
  lockFor,
  now,
  stakeFor,
} from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";

const TASK = 11n;
const FLOOR = 3_000n * FLOCK;

// SPEC §2.1: stakes that count are frozen at the submission deadline. SPEC §3: a network minimum stake
// applies to every role; tasks paid from emission are approved by the operator role.
describe("TaskStaking: stakes frozen at the submission deadline, a network stake floor, operators", () => {
  let fx: Fixture;
  let deadline: bigint;
  let aliceLock: bigint;
  let bobLock: bigint;
  beforeAll(async () => {
    fx = await createFixture();
    deadline = (await now(fx.net)) + 2n * DAY;
    await createTask(fx, {
      id: TASK,
      minStake: 1_000n * FLOCK,
      minLockDays: 0,
      submissionDeadline: deadline,
      endTime: deadline + 3n * DAY,
      disputeWindow: DAY,
    });
    aliceLock = await lockFor(fx, fx.wallets.alice, 20_000n * FLOCK, 30);
    bobLock = await lockFor(fx, fx.wallets.bob, 20_000n * FLOCK, 30);
  });
  isolateEachTest(() => fx);

  const snapshotOf = (wallet: Fixture["wallets"]["alice"]) =>
    fx.flock.taskStaking.read.snapshotStakeOf([TASK, wallet.account.address]);

  async function slash(wallet: Fixture["wallets"]["alice"], fractionBps: number, label: string) {
    await confirm(
      fx.net,
      fx.flock
        .as(fx.wallets.coordinator)
        .slashing.write.slash([
          TASK,
          wallet.account.address,
          fractionBps,
          keccak256(toHex(label)),
          fx.wallets.prover.account.address,
        ]),
    );
  }

  it("the task records its submission deadline, which may not be after its end", async () => {
    const task = await fx.flock.taskStaking.read.tasks([TASK]);
    expect([task[2], task[3]]).toEqual([deadline, deadline + 3n * DAY]);
    const receipt = await confirm(
      fx.net,
      fx.flock.as(fx.wallets.coordinator).taskStaking.write.createTask([12n, FLOCK, 0, 100n, 200n, DAY]),
    );
    const [event] = parseEventLogs({ abi: taskStakingAbi, logs: receipt.logs, eventName: "TaskCreated" });
    expect(event?.args).toMatchObject({ taskId: 12n, submissionDeadline: 100n, endTime: 200n });
    await expectRevert(
      fx.flock.as(fx.wallets.coordinator).taskStaking.write.createTask([13n, FLOCK, 0, 201n, 200n, DAY]),
      "DeadlineAfterEnd",
      [201n, 200n],
    );
  });

  it("attack: a validator who adds stake after the deadline to weigh more in a median is refused", async () => {
    const { bob } = fx.wallets;
    await stakeFor(fx, bob, TASK, stakeRole.validator, 2_000n * FLOCK, bobLock);
    await increaseTime(fx.net, 2n * DAY);
    // bob has seen the other scores and tops up to move the stake-weighted median his way
    await expectRevert(
      stakeFor(fx, bob, TASK, stakeRole.validator, 15_000n * FLOCK, bobLock),
      "StakingClosed",
      [TASK, deadline],
    );
    expect(await snapshotOf(bob)).toBe(2_000n * FLOCK);
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, bob.account.address])).toBe(2_000n * FLOCK);
  });

  it("attack: a trainer who stakes after seeing the leaderboard is refused, also at the deadline's very second", async () => {
    const { alice } = fx.wallets;
    const gmBefore = await fx.flock.gmFlock.read.balanceOf([alice.account.address]);
    // the next block's timestamp is exactly the deadline: staking is closed from the deadline on
    await fx.net.testClient.setNextBlockTimestamp({ timestamp: deadline });
    await expectRevert(
      stakeFor(fx, alice, TASK, stakeRole.trainer, 5_000n * FLOCK, aliceLock),
      "StakingClosed",
      [TASK, deadline],
    );
    expect(await snapshotOf(alice)).toBe(0n);
    // nothing moved: the approval went through but the gmFLOCK stayed with alice
    expect(await fx.flock.gmFlock.read.balanceOf([alice.account.address])).toBe(gmBefore);
  });

  it("a stake grows before the deadline and the snapshot follows it; after the deadline it is fixed", async () => {
    const { alice } = fx.wallets;
    await stakeFor(fx, alice, TASK, stakeRole.trainer, 1_000n * FLOCK, aliceLock);
    expect(await snapshotOf(alice)).toBe(1_000n * FLOCK);
    await stakeFor(fx, alice, TASK, stakeRole.trainer, 4_000n * FLOCK, aliceLock);
    expect(await snapshotOf(alice)).toBe(5_000n * FLOCK);
    await increaseTime(fx.net, 2n * DAY);
    expect(await snapshotOf(alice)).toBe(5_000n * FLOCK);
    expect(await snapshotOf(fx.wallets.carol)).toBe(0n);
  });

  it("a seize before the deadline lowers the frozen stake; a seize after it leaves the frozen stake as it was", async () => {
    const { alice, bob } = fx.wallets;
    await stakeFor(fx, alice, TASK, stakeRole.trainer, 10_000n * FLOCK, aliceLock);
    await stakeFor(fx, bob, TASK, stakeRole.validator, 10_000n * FLOCK, bobLock);
    await slash(alice, 1_000, "alice copied before the deadline");
    expect(await snapshotOf(alice)).toBe(9_000n * FLOCK);
    await increaseTime(fx.net, 2n * DAY);
    await slash(bob, 2_000, "bob scored off consensus");
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, bob.account.address])).toBe(8_000n * FLOCK);
    expect(await snapshotOf(bob)).toBe(10_000n * FLOCK);
    // a second seize after the deadline does not re-freeze at the lowered amount
    await slash(bob, 5_000, "bob again");
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, bob.account.address])).toBe(4_000n * FLOCK);
    expect(await snapshotOf(bob)).toBe(10_000n * FLOCK);
  });

  it("a withdrawal after close leaves the frozen stake readable", async () => {
    const { alice } = fx.wallets;
    await stakeFor(fx, alice, TASK, stakeRole.trainer, 6_000n * FLOCK, aliceLock);
    await increaseTime(fx.net, 2n * DAY);
    await confirm(
      fx.net,
      fx.flock.as(fx.wallets.coordinator).taskStaking.write.setTaskStatus([TASK, taskStatus.closed]),
    );
    await increaseTime(fx.net, DAY);
    await confirm(fx.net, fx.flock.as(alice).taskStaking.write.withdraw([TASK]));
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, alice.account.address])).toBe(0n);
    expect(await snapshotOf(alice)).toBe(6_000n * FLOCK);
  });

  it("the admin sets the network floor; a task minimum below it is refused", async () => {
    expect(await fx.flock.taskStaking.read.minStakeFloor()).toBe(FIXTURE_STAKE_FLOOR);
    await expectRevert(
      fx.flock.as(fx.wallets.alice).taskStaking.write.setMinStakeFloor([0n]),
      "AccessControlUnauthorizedAccount",
    );
    const receipt = await confirm(fx.net, fx.flock.taskStaking.write.setMinStakeFloor([FLOOR]));
    const [event] = parseEventLogs({
      abi: taskStakingAbi,
      logs: receipt.logs,
      eventName: "MinStakeFloorSet",
    });
    expect(event?.args.minStakeFloor).toBe(FLOOR);
    const end = (await now(fx.net)) + DAY;
    await expectRevert(
      fx.flock.as(fx.wallets.coordinator).taskStaking.write.createTask([20n, 0n, 0, end, end, DAY]),
      "BelowStakeFloor",
      [0n, FLOOR],
    );
    await createTask(fx, { id: 20n, minStake: FLOOR, minLockDays: 0, endTime: end, disputeWindow: DAY });
  });

  it("attack: a self-dealing task with minimum 0 staked with 1 wei as trainer and as validator is refused", async () => {
    const { alice, bob, coordinator } = fx.wallets;
    await confirm(fx.net, fx.flock.taskStaking.write.setMinStakeFloor([FLOOR]));
    const end = (await now(fx.net)) + DAY;
    await expectRevert(
      fx.flock.as(coordinator).taskStaking.write.createTask([21n, 0n, 0, end, end, 0n]),
      "BelowStakeFloor",
      [0n, FLOOR],
    );
    // a task created before the floor was raised still needs the floor from every stake
    for (const [wallet, role, lock] of [
      [alice, stakeRole.trainer, aliceLock],
      [bob, stakeRole.validator, bobLock],
    ] as const) {
      await expectRevert(stakeFor(fx, wallet, TASK, role, 1n, lock), "BelowMinimumStake", [TASK, 1n, FLOOR]);
      await expectRevert(stakeFor(fx, wallet, TASK, role, FLOOR - 1n, lock), "BelowMinimumStake", [
        TASK,
        FLOOR - 1n,
        FLOOR,
      ]);
      await stakeFor(fx, wallet, TASK, role, FLOOR, lock);
    }
    expect(await snapshotOf(alice)).toBe(FLOOR);
  });

  it("the admin is an operator from deployment; the admin grants and revokes the role, and isOperator says so", async () => {
    const { admin, alice } = fx.wallets;
    expect(await fx.flock.taskStaking.read.OPERATOR_ROLE()).toBe(roles.OPERATOR_ROLE);
    expect(await fx.flock.taskStaking.read.isOperator([admin.account.address])).toBe(true);
    expect(await fx.flock.taskStaking.read.isOperator([alice.account.address])).toBe(false);
    // alice cannot make herself an operator
    await expectRevert(
      fx.flock.as(alice).taskStaking.write.grantRole([roles.OPERATOR_ROLE, alice.account.address]),
      "AccessControlUnauthorizedAccount",
      [addressOf(alice), roles.DEFAULT_ADMIN_ROLE],
    );
    await confirm(fx.net, fx.flock.taskStaking.write.grantRole([roles.OPERATOR_ROLE, alice.account.address]));
    expect(await fx.flock.taskStaking.read.isOperator([alice.account.address])).toBe(true);
    await confirm(
      fx.net,
      fx.flock.taskStaking.write.revokeRole([roles.OPERATOR_ROLE, alice.account.address]),
    );
    expect(await fx.flock.taskStaking.read.isOperator([alice.account.address])).toBe(false);
  });

  it("the protocol default floor is FLock's 3000 gmFLOCK", () => {
    expect(defaultDeploymentSettings.minStakeFloor).toBe(3_000n * FLOCK);
  });
});
