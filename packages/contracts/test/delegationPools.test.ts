import { beforeAll, describe, expect, it } from "vitest";
import { stakeRole } from "../src/index.ts";
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

describe("DelegationPools: delegating gmFLOCK to a participant", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture();
    await lockFor(fx, fx.wallets.bob, 10_000n * FLOCK, 30);
  });
  isolateEachTest(() => fx);

  async function delegateAs(wallet: Fixture["wallets"]["bob"], participant: `0x${string}`, amount: bigint) {
    const as = fx.flock.as(wallet);
    await confirm(fx.net, as.gmFlock.write.approve([fx.flock.addresses.DelegationPools, amount]));
    return confirm(fx.net, as.delegationPools.write.delegate([participant, amount]));
  }

  it("a participant opens a pool with σ in [σmin, σmax]; outside the bounds is rejected", async () => {
    const alice = fx.flock.as(fx.wallets.alice);
    await expectRevert(
      alice.delegationPools.write.setSigma([4_999]),
      "SigmaOutOfRange",
      [4_999, 5_000, 10_000],
    );
    await expectRevert(alice.delegationPools.write.setSigma([10_001]), "SigmaOutOfRange");
    await confirm(fx.net, alice.delegationPools.write.setSigma([8_000]));
    const [open, sigmaBps] = await fx.flock.delegationPools.read.pools([fx.wallets.alice.account.address]);
    expect([open, sigmaBps]).toEqual([true, 8_000]);
  });

  it("delegation needs an open pool, moves gmFLOCK into the contract, and undelegation returns it", async () => {
    const { alice, bob } = fx.wallets;
    await expectRevert(delegateAs(bob, alice.account.address, FLOCK), "PoolNotOpen", [addressOf(alice)]);
    await confirm(fx.net, fx.flock.as(alice).delegationPools.write.setSigma([8_000]));
    await delegateAs(bob, alice.account.address, 4_000n * FLOCK);
    expect(
      await fx.flock.delegationPools.read.delegations([alice.account.address, bob.account.address]),
    ).toBe(4_000n * FLOCK);
    expect(await fx.flock.gmFlock.read.balanceOf([bob.account.address])).toBe(6_000n * FLOCK);
    const bobPools = fx.flock.as(bob).delegationPools;
    await confirm(fx.net, bobPools.write.undelegate([alice.account.address, 1_500n * FLOCK]));
    expect(await fx.flock.gmFlock.read.balanceOf([bob.account.address])).toBe(7_500n * FLOCK);
    const [, , , total] = await fx.flock.delegationPools.read.pools([alice.account.address]);
    expect(total).toBe(2_500n * FLOCK);
    await expectRevert(
      bobPools.write.undelegate([alice.account.address, 2_501n * FLOCK]),
      "InsufficientDelegation",
    );
    await expectRevert(bobPools.write.undelegate([alice.account.address, 0n]), "ZeroAmount");
  });

  it("σ changes wait for the cooldown", async () => {
    const alice = fx.flock.as(fx.wallets.alice);
    const opened = await confirm(fx.net, alice.delegationPools.write.setSigma([8_000]));
    const { timestamp } = await fx.net.publicClient.getBlock({ blockNumber: opened.blockNumber });
    await expectRevert(alice.delegationPools.write.setSigma([6_000]), "SigmaCooldown", [
      timestamp + 7n * DAY,
    ]);
    await increaseTime(fx.net, 7n * DAY);
    await confirm(fx.net, alice.delegationPools.write.setSigma([6_000]));
    const [, sigmaBps] = await fx.flock.delegationPools.read.pools([fx.wallets.alice.account.address]);
    expect(sigmaBps).toBe(6_000);
  });

  it("σ is frozen while the participant stakes on a task ending within the freeze window", async () => {
    const { alice } = fx.wallets;
    const pools = fx.flock.as(alice).delegationPools;
    await confirm(fx.net, pools.write.setSigma([8_000]));
    const end = (await now(fx.net)) + 10n * DAY;
    await createTask(fx, { id: 1n, minStake: FLOCK, minLockDays: 0, endTime: end, disputeWindow: DAY });
    const lockId = await lockFor(fx, alice, 100n * FLOCK, 30);
    await stakeFor(fx, alice, 1n, stakeRole.trainer, 100n * FLOCK, lockId);
    await increaseTime(fx.net, 9n * DAY + 60n);
    await expectRevert(pools.write.setSigma([6_000]), "SigmaFrozen", [addressOf(alice)]);
    await increaseTime(fx.net, 2n * DAY);
    await confirm(fx.net, pools.write.setSigma([6_000]));
  });

  it("only the admin sets σ parameters, and σmin cannot exceed σmax", async () => {
    await expectRevert(
      fx.flock.as(fx.wallets.alice).delegationPools.write.setSigmaParams([0, 10_000, 0n, 0n]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      fx.flock.delegationPools.write.setSigmaParams([6_000, 5_000, 0n, 0n]),
      "InvalidSigmaParams",
    );
    await expectRevert(
      fx.flock.delegationPools.write.setSigmaParams([0, 10_001, 0n, 0n]),
      "InvalidSigmaParams",
    );
    await confirm(fx.net, fx.flock.delegationPools.write.setSigmaParams([1_000, 9_000, DAY, 2n * DAY]));
    expect(await fx.flock.delegationPools.read.sigmaMinBps()).toBe(1_000);
    expect(await fx.flock.delegationPools.read.freezeWindow()).toBe(2n * DAY);
  });
});
