import { parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { stakeRole, taskStakingAbi, taskStatus } from "../src/index.ts";
import { confirm } from "./support/deploy.ts";
import {
  addressOf,
  createFixture,
  createTask,
  DAY,
  type Fixture,
  FLOCK,
  increaseTime,
  lockFor,
  now,
  stakeFor,
} from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";

const TASK = 7n;
const MIN_STAKE = 3_000n * FLOCK;

describe("TaskStaking: task registry and gmFLOCK stakes", () => {
  let fx: Fixture;
  let aliceLock: bigint;
  beforeAll(async () => {
    fx = await createFixture();
    aliceLock = await lockFor(fx, fx.wallets.alice, 10_000n * FLOCK, 90);
    await createTask(fx, {
      id: TASK,
      minStake: MIN_STAKE,
      minLockDays: 60,
      endTime: (await now(fx.net)) + 30n * DAY,
      disputeWindow: 2n * DAY,
    });
  });
  isolateEachTest(() => fx);

  it("the coordinator registers a task once; others cannot", async () => {
    const [status, minLockDays, , , closedAt, disputeWindow, minStake] =
      await fx.flock.taskStaking.read.tasks([TASK]);
    expect([status, minLockDays, closedAt, disputeWindow, minStake]).toEqual([
      taskStatus.open,
      60,
      0n,
      2n * DAY,
      MIN_STAKE,
    ]);
    const coordinator = fx.flock.as(fx.wallets.coordinator);
    await expectRevert(coordinator.taskStaking.write.createTask([TASK, 1n, 0, 0n, 0n, 0n]), "TaskExists", [
      TASK,
    ]);
    await expectRevert(
      fx.flock.as(fx.wallets.alice).taskStaking.write.createTask([8n, 1n, 0, 0n, 0n, 0n]),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("a trainer stake moves gmFLOCK into the contract and counts toward the task's trainer total", async () => {
    const { alice } = fx.wallets;
    const gmBefore = await fx.flock.gmFlock.read.balanceOf([alice.account.address]);
    const receipt = await stakeFor(fx, alice, TASK, stakeRole.trainer, 5_000n * FLOCK, aliceLock);
    const [event] = parseEventLogs({ abi: taskStakingAbi, logs: receipt.logs, eventName: "Staked" });
    expect(event?.args).toMatchObject({ taskId: TASK, role: stakeRole.trainer, amount: 5_000n * FLOCK });
    expect(await fx.flock.gmFlock.read.balanceOf([alice.account.address])).toBe(gmBefore - 5_000n * FLOCK);
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, alice.account.address])).toBe(5_000n * FLOCK);
    const task = await fx.flock.taskStaking.read.tasks([TASK]);
    expect([task[7], task[8]]).toEqual([5_000n * FLOCK, 0n]);
    expect(await fx.flock.taskStaking.read.activeTasksOf([alice.account.address])).toEqual([TASK]);
  });

  it("one account is trainer or validator on a task, never both", async () => {
    const { alice } = fx.wallets;
    await stakeFor(fx, alice, TASK, stakeRole.trainer, 4_000n * FLOCK, aliceLock);
    await expectRevert(
      stakeFor(fx, alice, TASK, stakeRole.validator, 1_000n * FLOCK, aliceLock),
      "RoleConflict",
      [TASK, addressOf(alice), stakeRole.trainer],
    );
    await stakeFor(fx, alice, TASK, stakeRole.trainer, 1_000n * FLOCK, aliceLock);
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, alice.account.address])).toBe(5_000n * FLOCK);
  });

  it("stakes below the minimum, with a short, small, ended or foreign lock, or an invalid role are rejected", async () => {
    const { alice, bob } = fx.wallets;
    await expectRevert(
      stakeFor(fx, alice, TASK, stakeRole.trainer, 2_999n * FLOCK, aliceLock),
      "BelowMinimumStake",
    );
    const shortLock = await lockFor(fx, alice, 5_000n * FLOCK, 59);
    await expectRevert(stakeFor(fx, alice, TASK, stakeRole.trainer, MIN_STAKE, shortLock), "LockTooShort", [
      shortLock,
      59,
      60,
    ]);
    const smallLock = await lockFor(fx, alice, 1_000n * FLOCK, 60);
    await expectRevert(stakeFor(fx, alice, TASK, stakeRole.trainer, MIN_STAKE, smallLock), "LockTooSmall");
    const bobLock = await lockFor(fx, bob, 5_000n * FLOCK, 90);
    await expectRevert(stakeFor(fx, alice, TASK, stakeRole.trainer, MIN_STAKE, bobLock), "NotLockOwner");
    const endedLock = await lockFor(fx, alice, 5_000n * FLOCK, 0);
    await confirm(fx.net, fx.flock.as(alice).gmFlock.write.unlock([endedLock]));
    await expectRevert(stakeFor(fx, alice, TASK, stakeRole.trainer, MIN_STAKE, endedLock), "LockEnded", [
      endedLock,
    ]);
    await expectRevert(stakeFor(fx, alice, TASK, 3, MIN_STAKE, aliceLock), "InvalidRole", [3]);
    await expectRevert(stakeFor(fx, alice, TASK, stakeRole.trainer, 0n, aliceLock), "ZeroAmount");
    await expectRevert(stakeFor(fx, alice, 99n, stakeRole.trainer, MIN_STAKE, aliceLock), "TaskNotOpen", [
      99n,
      0,
    ]);
  });

  it("a paused task takes no stakes; a closed task cannot reopen", async () => {
    const coordinator = fx.flock.as(fx.wallets.coordinator);
    await confirm(fx.net, coordinator.taskStaking.write.setTaskStatus([TASK, taskStatus.paused]));
    await expectRevert(
      stakeFor(fx, fx.wallets.alice, TASK, stakeRole.trainer, MIN_STAKE, aliceLock),
      "TaskNotOpen",
      [TASK, taskStatus.paused],
    );
    await confirm(fx.net, coordinator.taskStaking.write.setTaskStatus([TASK, taskStatus.closed]));
    await expectRevert(
      coordinator.taskStaking.write.setTaskStatus([TASK, taskStatus.open]),
      "InvalidStatusTransition",
      [TASK, taskStatus.closed, taskStatus.open],
    );
    await expectRevert(coordinator.taskStaking.write.setTaskStatus([99n, taskStatus.closed]), "UnknownTask", [
      99n,
    ]);
    await expectRevert(
      fx.flock.as(fx.wallets.alice).taskStaking.write.setTaskStatus([TASK, taskStatus.open]),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("a stake is withdrawable only after the task closes and its dispute window passes", async () => {
    const { alice } = fx.wallets;
    const as = fx.flock.as(alice);
    await stakeFor(fx, alice, TASK, stakeRole.trainer, MIN_STAKE, aliceLock);
    await expectRevert(as.taskStaking.write.withdraw([TASK]), "TaskNotClosed", [TASK, taskStatus.open]);
    const closing = await confirm(
      fx.net,
      fx.flock.as(fx.wallets.coordinator).taskStaking.write.setTaskStatus([TASK, taskStatus.closed]),
    );
    const { timestamp: closedAt } = await fx.net.publicClient.getBlock({ blockNumber: closing.blockNumber });
    await expectRevert(as.taskStaking.write.withdraw([TASK]), "WithdrawLocked", [TASK, closedAt + 2n * DAY]);
    await increaseTime(fx.net, 2n * DAY);
    const gmBefore = await fx.flock.gmFlock.read.balanceOf([alice.account.address]);
    await confirm(fx.net, as.taskStaking.write.withdraw([TASK]));
    expect(await fx.flock.gmFlock.read.balanceOf([alice.account.address])).toBe(gmBefore + MIN_STAKE);
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, alice.account.address])).toBe(0n);
    expect(await fx.flock.taskStaking.read.activeTasksOf([alice.account.address])).toEqual([]);
    await expectRevert(as.taskStaking.write.withdraw([TASK]), "NothingStaked", [TASK, addressOf(alice)]);
  });

  it("one account stakes on at most 32 unfinished tasks at a time", async () => {
    const { alice } = fx.wallets;
    const lockId = await lockFor(fx, alice, 100n * FLOCK, 0);
    const endTime = (await now(fx.net)) + 30n * DAY;
    for (let id = 100n; id < 133n; id++) {
      await createTask(fx, { id, minStake: 1n, minLockDays: 0, endTime, disputeWindow: 0n });
    }
    await confirm(
      fx.net,
      fx.flock.as(alice).gmFlock.write.approve([fx.flock.addresses.TaskStaking, 2n ** 255n]),
    );
    for (let id = 100n; id < 132n; id++) {
      await confirm(
        fx.net,
        fx.flock.as(alice).taskStaking.write.stake([id, stakeRole.validator, FLOCK, lockId]),
      );
    }
    await expectRevert(
      fx.flock.as(alice).taskStaking.write.stake([132n, stakeRole.validator, FLOCK, lockId]),
      "TooManyActiveTasks",
      [addressOf(alice)],
    );
    expect(await fx.flock.taskStaking.read.activeTasksOf([alice.account.address])).toHaveLength(32);
  });

  it("only the slashing contract can seize stake", async () => {
    const { alice } = fx.wallets;
    await stakeFor(fx, alice, TASK, stakeRole.trainer, MIN_STAKE, aliceLock);
    await expectRevert(
      fx.flock.as(alice).taskStaking.write.seize([TASK, alice.account.address, 1n]),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("an account is near a task end within the window either side of the planned end, until the task closes", async () => {
    const { alice } = fx.wallets;
    await stakeFor(fx, alice, TASK, stakeRole.trainer, MIN_STAKE, aliceLock);
    const window = DAY;
    expect(await fx.flock.taskStaking.read.isNearTaskEnd([alice.account.address, window])).toBe(false);
    await increaseTime(fx.net, 29n * DAY + 60n);
    expect(await fx.flock.taskStaking.read.isNearTaskEnd([alice.account.address, window])).toBe(true);
    await increaseTime(fx.net, 2n * DAY);
    expect(await fx.flock.taskStaking.read.isNearTaskEnd([alice.account.address, window])).toBe(false);
    expect(await fx.flock.taskStaking.read.isNearTaskEnd([fx.wallets.bob.account.address, window])).toBe(
      false,
    );
  });
});
