import { parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { gmFlockAbi, stakeRole, taskStatus } from "../src/index.ts";
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
  lockWithReceipt,
  now,
  stakeFor,
} from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";

describe("GmFlock: locking FLOCK for gmFLOCK", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture();
  });
  isolateEachTest(() => fx);

  it("a 365-day lock of 1,000 FLOCK mints 3,010 gmFLOCK and records the lock", async () => {
    const { alice } = fx.wallets;
    const { receipt } = await lockWithReceipt(fx, alice, 1_000n * FLOCK, 365);
    const { timestamp } = await fx.net.publicClient.getBlock({ blockNumber: receipt.blockNumber });
    const [event] = parseEventLogs({ abi: gmFlockAbi, logs: receipt.logs, eventName: "Locked" });
    expect(event?.args.gmAmount).toBe(3_010n * FLOCK);
    expect(await fx.flock.gmFlock.read.balanceOf([alice.account.address])).toBe(3_010n * FLOCK);
    expect(await fx.flock.flockToken.read.balanceOf([fx.flock.addresses.GmFlock])).toBe(1_000n * FLOCK);
    const [owner, unlockTime, durationDays, unlocked, amount, gmAmount] = await fx.flock.gmFlock.read.locks([
      1n,
    ]);
    expect(owner).toBe(addressOf(alice));
    expect(unlockTime).toBe(timestamp + 365n * DAY);
    expect([durationDays, unlocked, amount, gmAmount]).toEqual([365, false, 1_000n * FLOCK, 3_010n * FLOCK]);
  });

  it("locks up to 30 days mint 1:1 and a 0-day lock can be unlocked at once", async () => {
    const { bob } = fx.wallets;
    await lockFor(fx, bob, 500n * FLOCK, 0);
    await lockFor(fx, bob, 500n * FLOCK, 30);
    expect(await fx.flock.gmFlock.read.balanceOf([bob.account.address])).toBe(1_000n * FLOCK);
    await confirm(fx.net, fx.flock.as(bob).gmFlock.write.unlock([1n]));
    expect(await fx.flock.gmFlock.read.balanceOf([bob.account.address])).toBe(500n * FLOCK);
  });

  it("a lock longer than 365 days or of zero FLOCK is rejected", async () => {
    const as = fx.flock.as(fx.wallets.alice);
    await expectRevert(as.gmFlock.write.lock([FLOCK, 366]), "LockTooLong", [366n, 365n]);
    await expectRevert(as.gmFlock.write.lock([0n, 10]), "ZeroAmount");
  });

  it("unlocking after expiry burns the gmFLOCK and returns 95% of the FLOCK, 5% to the treasury", async () => {
    const { alice, treasury } = fx.wallets;
    await lockFor(fx, alice, 1_000n * FLOCK, 100);
    const flockBefore = await fx.flock.flockToken.read.balanceOf([alice.account.address]);
    const treasuryBefore = await fx.flock.flockToken.read.balanceOf([treasury.account.address]);
    await increaseTime(fx.net, 100n * DAY);
    const receipt = await confirm(fx.net, fx.flock.as(alice).gmFlock.write.unlock([1n]));
    const [event] = parseEventLogs({ abi: gmFlockAbi, logs: receipt.logs, eventName: "Unlocked" });
    expect(event?.args).toMatchObject({
      flockReturned: 950n * FLOCK,
      redemptionFee: 50n * FLOCK,
      forfeited: 0n,
    });
    expect(await fx.flock.gmFlock.read.balanceOf([alice.account.address])).toBe(0n);
    expect(await fx.flock.flockToken.read.balanceOf([alice.account.address])).toBe(
      flockBefore + 950n * FLOCK,
    );
    expect(await fx.flock.flockToken.read.balanceOf([treasury.account.address])).toBe(
      treasuryBefore + 50n * FLOCK,
    );
    expect(await fx.flock.gmFlock.read.totalSupply()).toBe(0n);
  });

  it("a lock cannot be unlocked early, twice, by someone else, or if it does not exist", async () => {
    const { alice, bob } = fx.wallets;
    await lockFor(fx, alice, 10n * FLOCK, 60);
    const [, unlockTime] = await fx.flock.gmFlock.read.locks([1n]);
    await expectRevert(fx.flock.as(alice).gmFlock.write.unlock([1n]), "LockNotExpired", [1n, unlockTime]);
    await increaseTime(fx.net, 60n * DAY);
    await expectRevert(fx.flock.as(bob).gmFlock.write.unlock([1n]), "NotLockOwner", [
      1n,
      bob.account.address,
    ]);
    await expectRevert(fx.flock.as(alice).gmFlock.write.unlock([7n]), "UnknownLock", [7n]);
    await confirm(fx.net, fx.flock.as(alice).gmFlock.write.unlock([1n]));
    await expectRevert(fx.flock.as(alice).gmFlock.write.unlock([1n]), "AlreadyUnlocked", [1n]);
  });

  it("a lock whose gmFLOCK is staked cannot be unlocked until the stake is withdrawn", async () => {
    const { alice, coordinator } = fx.wallets;
    const lockId = await lockFor(fx, alice, 100n * FLOCK, 0);
    const endTime = (await now(fx.net)) + DAY;
    await createTask(fx, { id: 1n, minStake: 1n, minLockDays: 0, endTime, disputeWindow: 0n });
    await stakeFor(fx, alice, 1n, stakeRole.validator, 40n * FLOCK, lockId);
    await expectRevert(fx.flock.as(alice).gmFlock.write.unlock([lockId]), "InsufficientGmFlock", [
      lockId,
      60n * FLOCK,
      100n * FLOCK,
    ]);
    await confirm(fx.net, fx.flock.as(coordinator).taskStaking.write.setTaskStatus([1n, taskStatus.closed]));
    await confirm(fx.net, fx.flock.as(alice).taskStaking.write.withdraw([1n]));
    await confirm(fx.net, fx.flock.as(alice).gmFlock.write.unlock([lockId]));
    expect(await fx.flock.gmFlock.read.balanceOf([alice.account.address])).toBe(0n);
  });

  it("gmFLOCK cannot be transferred between users, only into and out of protocol contracts", async () => {
    const { alice, bob } = fx.wallets;
    await lockFor(fx, alice, 10n * FLOCK, 30);
    const as = fx.flock.as(alice);
    await expectRevert(as.gmFlock.write.transfer([bob.account.address, FLOCK]), "TransferRestricted", [
      alice.account.address,
      bob.account.address,
    ]);
    await confirm(fx.net, as.gmFlock.write.approve([bob.account.address, FLOCK]));
    await expectRevert(
      fx.flock.as(bob).gmFlock.write.transferFrom([alice.account.address, bob.account.address, FLOCK]),
      "TransferRestricted",
    );
    expect(await fx.flock.gmFlock.read.isProtocolContract([fx.flock.addresses.TaskStaking])).toBe(true);
    expect(await fx.flock.gmFlock.read.isProtocolContract([bob.account.address])).toBe(false);
  });

  it("only the admin allow-lists protocol contracts and sets the treasury", async () => {
    const { alice } = fx.wallets;
    await expectRevert(
      fx.flock.as(alice).gmFlock.write.setProtocolContract([alice.account.address, true]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      fx.flock.as(alice).gmFlock.write.setTreasury([alice.account.address]),
      "AccessControlUnauthorizedAccount",
    );
    await confirm(fx.net, fx.flock.gmFlock.write.setTreasury([alice.account.address]));
    expect(await fx.flock.gmFlock.read.treasury()).toBe(addressOf(alice));
  });
});
