import { buildRewardTree, rewardProof } from "@flock/protocol";
import fc from "fast-check";
import { parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { rewardDistributorAbi, rewardTree } from "../src/index.ts";
import { confirm } from "./support/deploy.ts";
import { createFixture, DAY, type Fixture, FLOCK } from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";

const EPOCH = 4n;
const ZERO_ROOT = `0x${"0".repeat(64)}` as const;
const REPORT = `0x${"ab".repeat(32)}` as const;

describe("RewardDistributor: epoch roots and Merkle claims", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture();
    // fund the distributor with one daily mint
    await fx.net.testClient.increaseTime({ seconds: Number(DAY) });
    await confirm(fx.net, fx.flock.as(fx.wallets.coordinator).emission.write.mint());
  });
  isolateEachTest(() => fx);

  function trees() {
    const { alice, bob, carol } = fx.wallets;
    const liquid = buildRewardTree(EPOCH, [
      { account: alice.account.address, amount: 120n * FLOCK },
      { account: bob.account.address, amount: 80n * FLOCK },
    ]);
    const vesting = buildRewardTree(EPOCH, [{ account: carol.account.address, amount: 900n * FLOCK }]);
    return { liquid, vesting };
  }

  async function post(liquidRoot: `0x${string}`, vestingRoot: `0x${string}`) {
    return confirm(
      fx.net,
      fx.flock
        .as(fx.wallets.coordinator)
        .rewardDistributor.write.postEpochRoot([EPOCH, liquidRoot, vestingRoot, REPORT]),
    );
  }

  it("the coordinator posts an epoch once, with its report hash and both roots", async () => {
    const { liquid, vesting } = trees();
    const receipt = await post(liquid.root, vesting.root);
    const [event] = parseEventLogs({
      abi: rewardDistributorAbi,
      logs: receipt.logs,
      eventName: "EpochRootPosted",
    });
    expect(event?.args).toMatchObject({
      epoch: EPOCH,
      liquidRoot: liquid.root,
      vestingRoot: vesting.root,
      reportHash: REPORT,
    });
    await expectRevert(post(liquid.root, vesting.root), "EpochAlreadyPosted", [EPOCH]);
    await expectRevert(
      fx.flock
        .as(fx.wallets.alice)
        .rewardDistributor.write.postEpochRoot([5n, liquid.root, vesting.root, REPORT]),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("anyone submits a liquid claim with a proof; it pays the account in full, once", async () => {
    const { alice, bob } = fx.wallets;
    const { liquid, vesting } = trees();
    await post(liquid.root, vesting.root);
    const { amount, proof } = rewardProof(liquid, alice.account.address);
    const before = await fx.flock.flockToken.read.balanceOf([alice.account.address]);
    const byBob = fx.flock.as(bob).rewardDistributor;
    await confirm(
      fx.net,
      byBob.write.claim([EPOCH, rewardTree.liquid, alice.account.address, amount, proof]),
    );
    expect(await fx.flock.flockToken.read.balanceOf([alice.account.address])).toBe(before + 120n * FLOCK);
    expect(
      await fx.flock.rewardDistributor.read.claimed([EPOCH, rewardTree.liquid, alice.account.address]),
    ).toBe(120n * FLOCK);
    await expectRevert(
      byBob.write.claim([EPOCH, rewardTree.liquid, alice.account.address, amount, proof]),
      "NothingToClaim",
    );
  });

  it("a wrong amount, account, tree or epoch fails the proof or the lookup", async () => {
    const { alice, bob } = fx.wallets;
    const { liquid, vesting } = trees();
    await post(liquid.root, vesting.root);
    const { amount, proof } = rewardProof(liquid, alice.account.address);
    const rd = fx.flock.as(alice).rewardDistributor;
    await expectRevert(
      rd.write.claim([EPOCH, rewardTree.liquid, alice.account.address, amount + 1n, proof]),
      "InvalidProof",
    );
    await expectRevert(
      rd.write.claim([EPOCH, rewardTree.liquid, bob.account.address, amount, proof]),
      "InvalidProof",
    );
    await expectRevert(
      rd.write.claim([EPOCH, rewardTree.vesting, alice.account.address, amount, proof]),
      "InvalidProof",
    );
    await expectRevert(
      rd.write.claim([EPOCH + 1n, rewardTree.liquid, alice.account.address, amount, proof]),
      "EpochNotPosted",
    );
    await expectRevert(rd.write.claim([EPOCH, 2, alice.account.address, amount, proof]), "InvalidTree", [2]);
  });

  it("an empty tree (zero root) has nothing to claim", async () => {
    const { liquid } = trees();
    await post(liquid.root, ZERO_ROOT);
    await expectRevert(
      fx.flock.rewardDistributor.write.claim([
        EPOCH,
        rewardTree.vesting,
        fx.wallets.carol.account.address,
        1n,
        [],
      ]),
      "EmptyTree",
      [EPOCH, rewardTree.vesting],
    );
  });

  it("vesting rewards release linearly from posting and can be claimed repeatedly until fully vested", async () => {
    const { carol } = fx.wallets;
    const { liquid, vesting } = trees();
    const posted = await post(liquid.root, vesting.root);
    const { timestamp: postedAt } = await fx.net.publicClient.getBlock({ blockNumber: posted.blockNumber });
    const duration = 30n * DAY;
    const { amount, proof } = rewardProof(vesting, carol.account.address);
    const rd = fx.flock.as(carol).rewardDistributor;
    const balance = () => fx.flock.flockToken.read.balanceOf([carol.account.address]);
    const start = await balance();

    await fx.net.testClient.setNextBlockTimestamp({ timestamp: postedAt + duration / 4n });
    await confirm(fx.net, rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, amount, proof]));
    expect(await balance()).toBe(start + 225n * FLOCK);

    await fx.net.testClient.setNextBlockTimestamp({ timestamp: postedAt + duration / 3n });
    await confirm(fx.net, rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, amount, proof]));
    expect(await balance()).toBe(start + 300n * FLOCK);

    await fx.net.testClient.setNextBlockTimestamp({ timestamp: postedAt + duration + 5n });
    await confirm(fx.net, rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, amount, proof]));
    expect(await balance()).toBe(start + 900n * FLOCK);
    await expectRevert(
      rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, amount, proof]),
      "NothingToClaim",
    );
  });

  it("property: whatever the claim times, cumulative vesting claims equal ⌊amount·elapsed/duration⌋ and end at the amount", async () => {
    const { carol } = fx.wallets;
    const duration = 30n * DAY;
    const amount = 900n * FLOCK + 7n;
    const vesting = buildRewardTree(EPOCH, [{ account: carol.account.address, amount }]);
    const posted = await post(ZERO_ROOT, vesting.root);
    const { timestamp: postedAt } = await fx.net.publicClient.getBlock({ blockNumber: posted.blockNumber });
    const { proof } = rewardProof(vesting, carol.account.address);
    const offsets = fc
      .sample(fc.bigInt({ min: 1n, max: duration + DAY }), { seed: 7, numRuns: 12 })
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const rd = fx.flock.as(carol).rewardDistributor;
    let last = 0n;
    for (const offset of [...new Set([...offsets, duration + 2n * DAY])]) {
      await fx.net.testClient.setNextBlockTimestamp({ timestamp: postedAt + offset });
      const expected = offset >= duration ? amount : (amount * offset) / duration;
      if (expected === last) {
        await expectRevert(
          rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, amount, proof]),
          "NothingToClaim",
        );
        continue;
      }
      await confirm(
        fx.net,
        rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, amount, proof]),
      );
      const claimed = await fx.flock.rewardDistributor.read.claimed([
        EPOCH,
        rewardTree.vesting,
        carol.account.address,
      ]);
      expect(claimed).toBe(expected);
      expect(claimed).toBeGreaterThan(last);
      last = claimed;
    }
    expect(last).toBe(amount);
  });

  it("the claim fee goes to the treasury; the admin sets it up to 10%", async () => {
    const { alice, treasury } = fx.wallets;
    await confirm(fx.net, fx.flock.rewardDistributor.write.setClaimFee([250]));
    const { liquid, vesting } = trees();
    await post(liquid.root, vesting.root);
    const { amount, proof } = rewardProof(liquid, alice.account.address);
    const aliceBefore = await fx.flock.flockToken.read.balanceOf([alice.account.address]);
    const treasuryBefore = await fx.flock.flockToken.read.balanceOf([treasury.account.address]);
    const receipt = await confirm(
      fx.net,
      fx.flock.rewardDistributor.write.claim([
        EPOCH,
        rewardTree.liquid,
        alice.account.address,
        amount,
        proof,
      ]),
    );
    const [event] = parseEventLogs({ abi: rewardDistributorAbi, logs: receipt.logs, eventName: "Claimed" });
    expect(event?.args).toMatchObject({ amount: 120n * FLOCK, fee: 3n * FLOCK, totalClaimed: 120n * FLOCK });
    expect(await fx.flock.flockToken.read.balanceOf([alice.account.address])).toBe(
      aliceBefore + 117n * FLOCK,
    );
    expect(await fx.flock.flockToken.read.balanceOf([treasury.account.address])).toBe(
      treasuryBefore + 3n * FLOCK,
    );
    await expectRevert(
      fx.flock.rewardDistributor.write.setClaimFee([1_001]),
      "ClaimFeeTooHigh",
      [1_001, 1_000],
    );
    await expectRevert(
      fx.flock.as(alice).rewardDistributor.write.setClaimFee([0]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      fx.flock.rewardDistributor.write.setVestingDuration([731n * DAY]),
      "VestingDurationTooLong",
    );
  });
});
