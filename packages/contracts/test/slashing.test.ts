import { keccak256, parseEventLogs, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { slashingAbi, stakeRole, taskStatus } from "../src/index.ts";
import { confirm } from "./support/deploy.ts";
import {
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

const TASK = 3n;
const evidence = (label: string) => keccak256(toHex(label));

describe("Slashing: a fraction of a stake for a proven fault", () => {
  let fx: Fixture;
  let aliceLock: bigint;
  beforeAll(async () => {
    fx = await createFixture();
    await createTask(fx, {
      id: TASK,
      minStake: 1_000n * FLOCK,
      minLockDays: 0,
      endTime: (await now(fx.net)) + 10n * DAY,
      disputeWindow: DAY,
    });
    aliceLock = await lockFor(fx, fx.wallets.alice, 10_000n * FLOCK, 30);
    await stakeFor(fx, fx.wallets.alice, TASK, stakeRole.trainer, 10_000n * FLOCK, aliceLock);
  });
  isolateEachTest(() => fx);

  it("slashing 20% of a 10,000 stake sends 200 to the prover and 1,800 to the treasury", async () => {
    const { alice, prover, treasury, coordinator } = fx.wallets;
    const receipt = await confirm(
      fx.net,
      fx.flock
        .as(coordinator)
        .slashing.write.slash([
          TASK,
          alice.account.address,
          2_000,
          evidence("copied"),
          prover.account.address,
        ]),
    );
    const [event] = parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "Slashed" });
    expect(event?.args).toMatchObject({
      taskId: TASK,
      evidenceHash: evidence("copied"),
      amount: 2_000n * FLOCK,
      proverShare: 200n * FLOCK,
      treasuryShare: 1_800n * FLOCK,
    });
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, alice.account.address])).toBe(8_000n * FLOCK);
    expect(await fx.flock.gmFlock.read.balanceOf([prover.account.address])).toBe(200n * FLOCK);
    expect(await fx.flock.gmFlock.read.balanceOf([treasury.account.address])).toBe(1_800n * FLOCK);
    const task = await fx.flock.taskStaking.read.tasks([TASK]);
    expect(task[7]).toBe(8_000n * FLOCK);
  });

  it("evidence is used once; fractions outside (0, 100%] and empty stakes are rejected", async () => {
    const { alice, bob, prover, coordinator } = fx.wallets;
    const slashing = fx.flock.as(coordinator).slashing;
    await confirm(
      fx.net,
      slashing.write.slash([TASK, alice.account.address, 100, evidence("a"), prover.account.address]),
    );
    await expectRevert(
      slashing.write.slash([TASK, alice.account.address, 100, evidence("a"), prover.account.address]),
      "EvidenceAlreadyUsed",
      [evidence("a")],
    );
    await expectRevert(
      slashing.write.slash([TASK, alice.account.address, 0, evidence("b"), prover.account.address]),
      "InvalidFraction",
      [0],
    );
    await expectRevert(
      slashing.write.slash([TASK, alice.account.address, 10_001, evidence("b"), prover.account.address]),
      "InvalidFraction",
    );
    await expectRevert(
      slashing.write.slash([TASK, bob.account.address, 5_000, evidence("b"), prover.account.address]),
      "NothingToSlash",
    );
  });

  it("only the slasher role slashes", async () => {
    const { alice, bob } = fx.wallets;
    await expectRevert(
      fx.flock
        .as(bob)
        .slashing.write.slash([TASK, alice.account.address, 1_000, evidence("x"), bob.account.address]),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("a stake can still be slashed during the dispute window; a full slash empties it", async () => {
    const { alice, prover, coordinator } = fx.wallets;
    await confirm(
      fx.net,
      fx.flock.as(coordinator).taskStaking.write.setTaskStatus([TASK, taskStatus.closed]),
    );
    await confirm(
      fx.net,
      fx.flock
        .as(coordinator)
        .slashing.write.slash([TASK, alice.account.address, 10_000, evidence("all"), prover.account.address]),
    );
    expect(await fx.flock.taskStaking.read.stakeOf([TASK, alice.account.address])).toBe(0n);
    await increaseTime(fx.net, DAY);
    await expectRevert(fx.flock.as(alice).taskStaking.write.withdraw([TASK]), "NothingStaked");
  });

  it("after a slash the owner unlocks, forfeiting, what it still holds; the FLOCK behind the slashed part goes to the treasury", async () => {
    const { alice, prover, coordinator, treasury } = fx.wallets;
    await confirm(
      fx.net,
      fx.flock
        .as(coordinator)
        .slashing.write.slash([TASK, alice.account.address, 2_500, evidence("late"), prover.account.address]),
    );
    await confirm(
      fx.net,
      fx.flock.as(coordinator).taskStaking.write.setTaskStatus([TASK, taskStatus.closed]),
    );
    await increaseTime(fx.net, 30n * DAY);
    await confirm(fx.net, fx.flock.as(alice).taskStaking.write.withdraw([TASK]));
    const aliceBefore = await fx.flock.flockToken.read.balanceOf([alice.account.address]);
    const treasuryBefore = await fx.flock.flockToken.read.balanceOf([treasury.account.address]);
    await expectRevert(fx.flock.as(alice).gmFlock.write.unlock([aliceLock]), "InsufficientGmFlock", [
      aliceLock,
      7_500n * FLOCK,
      10_000n * FLOCK,
    ]);
    await confirm(fx.net, fx.flock.as(alice).gmFlock.write.unlockForfeiting([aliceLock]));
    // 7,500 of 10,000 gmFLOCK left → gross 7,500 FLOCK, fee 375, forfeited 2,500
    expect(await fx.flock.flockToken.read.balanceOf([alice.account.address])).toBe(
      aliceBefore + 7_125n * FLOCK,
    );
    expect(await fx.flock.flockToken.read.balanceOf([treasury.account.address])).toBe(
      treasuryBefore + 375n * FLOCK + 2_500n * FLOCK,
    );
  });

  it("only the admin sets the slashing treasury", async () => {
    await expectRevert(
      fx.flock.as(fx.wallets.bob).slashing.write.setTreasury([fx.wallets.bob.account.address]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      fx.flock.slashing.write.setTreasury(["0x0000000000000000000000000000000000000000"]),
      "ZeroAddress",
    );
  });
});
