import { buildRewardTree, type RewardTree, rewardProof } from "@flock/protocol";
import fc from "fast-check";
import { parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { rewardDistributorAbi, rewardTree } from "../src/index.ts";
import { confirm } from "./support/deploy.ts";
import { createFixture, DAY, type Fixture, FLOCK } from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";
import { rewardTotal } from "./support/rewardTotal.ts";

const EPOCH = 4n;
const ZERO_ROOT = `0x${"0".repeat(64)}` as const;
/** The distributor's FLOCK in every test: one daily mint of E0 = 1,000,000 FLOCK. */
const FUNDED = 1_000_000n * FLOCK;
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

  /** Posts `liquid` and `vesting` as `epoch` (EPOCH by default) with their true total unless one is given. */
  function postTrees(
    liquid: RewardTree,
    vesting: RewardTree,
    options: { epoch?: bigint; total?: bigint } = {},
  ) {
    return fx.flock
      .as(fx.wallets.coordinator)
      .rewardDistributor.write.postEpochRoot([
        options.epoch ?? EPOCH,
        liquid.root,
        vesting.root,
        REPORT,
        options.total ?? rewardTotal(liquid, vesting),
        [],
        [],
      ]);
  }

  async function post(
    liquid: RewardTree,
    vesting: RewardTree,
    options: { epoch?: bigint; total?: bigint } = {},
  ) {
    return confirm(fx.net, postTrees(liquid, vesting, options));
  }

  const empty = (epoch = EPOCH) => buildRewardTree(epoch, []);
  const flockOf = (address: `0x${string}`) => fx.flock.flockToken.read.balanceOf([address]);
  async function pool() {
    const rd = fx.flock.rewardDistributor.read;
    const [held, outstanding, unallocated] = await Promise.all([
      flockOf(fx.flock.addresses.RewardDistributor),
      rd.outstanding(),
      rd.unallocated(),
    ]);
    return { balance: held, outstanding, unallocated };
  }
  async function epochTotals(epoch = EPOCH) {
    const [, , , , , total, claimedTotal] = await fx.flock.rewardDistributor.read.epochs([epoch]);
    return { total, claimedTotal };
  }

  it("the coordinator posts an epoch once, with its report hash and both roots", async () => {
    const { liquid, vesting } = trees();
    const receipt = await post(liquid, vesting);
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
      vestingDuration: 30n * DAY,
      total: 1_100n * FLOCK,
    });
    expect(await epochTotals()).toEqual({ total: 1_100n * FLOCK, claimedTotal: 0n });
    await expectRevert(postTrees(liquid, vesting), "EpochAlreadyPosted", [EPOCH]);
    await expectRevert(
      fx.flock
        .as(fx.wallets.alice)
        .rewardDistributor.write.postEpochRoot([
          5n,
          liquid.root,
          vesting.root,
          REPORT,
          1_100n * FLOCK,
          [],
          [],
        ]),
      "AccessControlUnauthorizedAccount",
    );
  });

  it("anyone submits a liquid claim with a proof; it pays the account in full, once", async () => {
    const { alice, bob } = fx.wallets;
    const { liquid, vesting } = trees();
    await post(liquid, vesting);
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
    await post(liquid, vesting);
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
    await post(liquid, empty());
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
    const posted = await post(liquid, vesting);
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
    const posted = await post(empty(), vesting);
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
    await post(liquid, vesting);
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

  it("posting more than the unallocated FLOCK reverts with the exact figures; emission and transfers in make room", async () => {
    const { alice, bob, carol } = fx.wallets;
    expect(await pool()).toEqual({ balance: FUNDED, outstanding: 0n, unallocated: FUNDED });
    const tooMuch = buildRewardTree(EPOCH, [{ account: alice.account.address, amount: FUNDED + 1n }]);
    await expectRevert(postTrees(tooMuch, empty()), "InsufficientRewards", [FUNDED + 1n, FUNDED]);

    const first = buildRewardTree(EPOCH, [{ account: alice.account.address, amount: 600_000n * FLOCK }]);
    await post(first, empty());
    expect(await pool()).toEqual({
      balance: FUNDED,
      outstanding: 600_000n * FLOCK,
      unallocated: 400_000n * FLOCK,
    });
    const second = buildRewardTree(EPOCH + 1n, [
      { account: bob.account.address, amount: 300_000n * FLOCK },
      { account: carol.account.address, amount: 100_000n * FLOCK + 1n },
    ]);
    await expectRevert(postTrees(second, empty(EPOCH + 1n), { epoch: EPOCH + 1n }), "InsufficientRewards", [
      400_000n * FLOCK + 1n,
      400_000n * FLOCK,
    ]);
    // a failed post reserves nothing
    expect((await pool()).outstanding).toBe(600_000n * FLOCK);

    // 1 wei sent in by anyone is enough to cover the missing wei
    await confirm(
      fx.net,
      fx.flock.as(alice).flockToken.write.transfer([fx.flock.addresses.RewardDistributor, 1n]),
    );
    expect((await pool()).unallocated).toBe(400_000n * FLOCK + 1n);
    await post(second, empty(EPOCH + 1n), { epoch: EPOCH + 1n });
    expect(await pool()).toEqual({ balance: FUNDED + 1n, outstanding: FUNDED + 1n, unallocated: 0n });

    // the next daily mint (mint index 2: still E0) is unallocated until an epoch promises it
    await fx.net.testClient.increaseTime({ seconds: Number(DAY) });
    await confirm(fx.net, fx.flock.as(fx.wallets.coordinator).emission.write.mint());
    expect(await pool()).toEqual({
      balance: 2n * FUNDED + 1n,
      outstanding: FUNDED + 1n,
      unallocated: FUNDED,
    });
  });

  it("outstanding falls by each claim's gross (fee included) while unallocated stays put, liquid and vesting", async () => {
    const { alice, bob, carol, treasury } = fx.wallets;
    await confirm(fx.net, fx.flock.rewardDistributor.write.setClaimFee([250]));
    const { liquid, vesting } = trees();
    const posted = await post(liquid, vesting);
    const { timestamp: postedAt } = await fx.net.publicClient.getBlock({ blockNumber: posted.blockNumber });
    const total = 1_100n * FLOCK;
    const unallocated = FUNDED - total;
    expect(await pool()).toEqual({ balance: FUNDED, outstanding: total, unallocated });
    const treasuryBefore = await flockOf(treasury.account.address);
    const rd = fx.flock.as(bob).rewardDistributor;

    // alice's liquid 120: 117 to her, 3 to the treasury, all 120 off the epoch's debt
    const a = rewardProof(liquid, alice.account.address);
    await confirm(
      fx.net,
      rd.write.claim([EPOCH, rewardTree.liquid, alice.account.address, a.amount, a.proof]),
    );
    expect(await pool()).toEqual({ balance: FUNDED - 120n * FLOCK, outstanding: 980n * FLOCK, unallocated });
    expect(await epochTotals()).toEqual({ total, claimedTotal: 120n * FLOCK });

    // a quarter of carol's 900 vesting: gross 225
    const c = rewardProof(vesting, carol.account.address);
    await fx.net.testClient.setNextBlockTimestamp({ timestamp: postedAt + (30n * DAY) / 4n });
    await confirm(
      fx.net,
      rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, c.amount, c.proof]),
    );
    expect(await pool()).toEqual({ balance: FUNDED - 345n * FLOCK, outstanding: 755n * FLOCK, unallocated });
    expect(await epochTotals()).toEqual({ total, claimedTotal: 345n * FLOCK });

    // the rest: bob's 80 liquid and carol's remaining 675 once fully vested
    const b = rewardProof(liquid, bob.account.address);
    await confirm(fx.net, rd.write.claim([EPOCH, rewardTree.liquid, bob.account.address, b.amount, b.proof]));
    await fx.net.testClient.setNextBlockTimestamp({ timestamp: postedAt + 30n * DAY });
    await confirm(
      fx.net,
      rd.write.claim([EPOCH, rewardTree.vesting, carol.account.address, c.amount, c.proof]),
    );
    expect(await pool()).toEqual({ balance: unallocated, outstanding: 0n, unallocated });
    expect(await epochTotals()).toEqual({ total, claimedTotal: total });
    // 2.5% of 1,100 went to the treasury, the rest to the accounts
    expect((await flockOf(treasury.account.address)) - treasuryBefore).toBe(
      (1_100n * FLOCK * 250n) / 10_000n,
    );
  });

  it("a root whose leaves sum above its declared total pays only up to that total, never another epoch's FLOCK", async () => {
    const { alice, bob, carol } = fx.wallets;
    // leaves sum to 200 but the epoch is posted with a total of 150
    const { liquid } = trees();
    expect(rewardTotal(liquid)).toBe(200n * FLOCK);
    await post(liquid, empty(), { total: 150n * FLOCK });
    const honest = buildRewardTree(EPOCH + 1n, [{ account: carol.account.address, amount: 900n * FLOCK }]);
    await post(honest, empty(EPOCH + 1n), { epoch: EPOCH + 1n });
    expect(await pool()).toEqual({
      balance: FUNDED,
      outstanding: 1_050n * FLOCK,
      unallocated: FUNDED - 1_050n * FLOCK,
    });

    const rd = fx.flock.as(alice).rewardDistributor;
    const a = rewardProof(liquid, alice.account.address);
    await confirm(
      fx.net,
      rd.write.claim([EPOCH, rewardTree.liquid, alice.account.address, a.amount, a.proof]),
    );
    const b = rewardProof(liquid, bob.account.address);
    await expectRevert(
      rd.write.claim([EPOCH, rewardTree.liquid, bob.account.address, b.amount, b.proof]),
      "EpochOverclaimed",
      [EPOCH, 150n * FLOCK],
    );
    expect(await epochTotals()).toEqual({ total: 150n * FLOCK, claimedTotal: 120n * FLOCK });
    expect(
      await fx.flock.rewardDistributor.read.claimed([EPOCH, rewardTree.liquid, bob.account.address]),
    ).toBe(0n);
    // the honest epoch still pays in full
    const c = rewardProof(honest, carol.account.address);
    const carolBefore = await flockOf(carol.account.address);
    await confirm(
      fx.net,
      rd.write.claim([EPOCH + 1n, rewardTree.liquid, carol.account.address, c.amount, c.proof]),
    );
    expect(await flockOf(carol.account.address)).toBe(carolBefore + 900n * FLOCK);
    expect(await pool()).toEqual({
      balance: FUNDED - 1_020n * FLOCK,
      outstanding: 30n * FLOCK,
      unallocated: FUNDED - 1_050n * FLOCK,
    });
  });

  it("a positive total needs a root and a non-empty root needs a positive total", async () => {
    const { liquid } = trees();
    await expectRevert(postTrees(empty(), empty(), { total: 1n }), "EpochTotalMismatch", [EPOCH, 1n]);
    await expectRevert(postTrees(liquid, empty(), { total: 0n }), "EpochTotalMismatch", [EPOCH, 0n]);
    expect(await fx.flock.rewardDistributor.read.epochs([EPOCH])).toMatchObject([
      ZERO_ROOT,
      ZERO_ROOT,
      ZERO_ROOT,
      0n,
      0n,
      0n,
      0n,
    ]);
  });

  it("a zero-total epoch with two empty trees posts even when nothing is unallocated, and reserves nothing", async () => {
    const { alice } = fx.wallets;
    const all = buildRewardTree(EPOCH + 1n, [{ account: alice.account.address, amount: FUNDED }]);
    await post(all, empty(EPOCH + 1n), { epoch: EPOCH + 1n });
    expect((await pool()).unallocated).toBe(0n);
    const receipt = await post(empty(), empty(), { total: 0n });
    const [event] = parseEventLogs({
      abi: rewardDistributorAbi,
      logs: receipt.logs,
      eventName: "EpochRootPosted",
    });
    expect(event?.args).toMatchObject({
      epoch: EPOCH,
      liquidRoot: ZERO_ROOT,
      vestingRoot: ZERO_ROOT,
      total: 0n,
    });
    expect(await epochTotals()).toEqual({ total: 0n, claimedTotal: 0n });
    expect(await pool()).toEqual({ balance: FUNDED, outstanding: FUNDED, unallocated: 0n });
    await expectRevert(
      fx.flock.rewardDistributor.write.claim([EPOCH, rewardTree.liquid, alice.account.address, 1n, []]),
      "EmptyTree",
      [EPOCH, rewardTree.liquid],
    );
  });

  it("several epochs funded to the last wei: claims of one never take another's FLOCK, in a shuffled interleaving; balance = outstanding throughout", async () => {
    const { alice, bob, carol, dave } = fx.wallets;
    const accounts = [alice, bob, carol, dave].map((w) => w.account.address);
    const duration = 30n * DAY;
    const start = (await fx.net.publicClient.getBlock()).timestamp;
    // three epochs whose totals exhaust the pool exactly: random leaves, the last epoch takes the rest
    const weights = fc.sample(fc.array(fc.bigInt({ min: 1n, max: 1_000n }), { minLength: 8, maxLength: 8 }), {
      seed: 11,
      numRuns: 1,
    })[0]!;
    const weightSum = weights.reduce((sum, w) => sum + w, 0n);
    const amounts = weights.map((w) => (FUNDED * w) / weightSum);
    amounts[7]! += FUNDED - amounts.reduce((sum, a) => sum + a, 0n);
    const epochs = [0, 1, 2].map((k) => {
      const epoch = EPOCH + BigInt(k);
      // epoch k: liquid for accounts k, k+1; vesting for account k+2 (amounts 3k…3k+2; the last takes the rest)
      const slice = k === 2 ? amounts.slice(6) : amounts.slice(3 * k, 3 * k + 3);
      const liquid = buildRewardTree(epoch, [
        { account: accounts[k]!, amount: slice[0]! },
        { account: accounts[k + 1]!, amount: k === 2 ? 0n : slice[1]! },
      ]);
      const vesting = buildRewardTree(epoch, [
        { account: accounts[(k + 2) % 4]!, amount: k === 2 ? slice[1]! : slice[2]! },
      ]);
      return { epoch, liquid, vesting };
    });
    for (const e of epochs) await post(e.liquid, e.vesting, { epoch: e.epoch });
    expect(await pool()).toEqual({ balance: FUNDED, outstanding: FUNDED, unallocated: 0n });
    await expectRevert(postTrees(trees().liquid, empty(), { epoch: 99n }), "InsufficientRewards", [
      200n * FLOCK,
      0n,
    ]);

    const claims = epochs.flatMap((e) => [
      ...e.liquid.leaves.map((leaf) => ({ epoch: e.epoch, tree: e.liquid, kind: rewardTree.liquid, leaf })),
      ...e.vesting.leaves.map((leaf) => ({
        epoch: e.epoch,
        tree: e.vesting,
        kind: rewardTree.vesting,
        leaf,
      })),
    ]);
    // every leaf claimed once in a shuffled order while the vesting runs, then the vesting leaves' rest
    const order = fc.sample(fc.shuffledSubarray(claims, { minLength: claims.length }), {
      seed: 5,
      numRuns: 1,
    })[0]!;
    const rest = claims.filter((c) => c.kind === rewardTree.vesting);
    let outstanding = FUNDED;
    for (const [i, step] of [...order, ...rest].entries()) {
      // spread over the vesting period; the last round comes a day after every epoch is fully vested
      const at = i < order.length ? (duration * BigInt(i + 1)) / BigInt(order.length + 1) : duration + DAY;
      await fx.net.testClient.setNextBlockTimestamp({ timestamp: start + at + BigInt(i) });
      const { amount, proof } = rewardProof(step.tree, step.leaf.account);
      const receipt = await confirm(
        fx.net,
        fx.flock.rewardDistributor.write.claim([step.epoch, step.kind, step.leaf.account, amount, proof]),
      );
      const [event] = parseEventLogs({ abi: rewardDistributorAbi, logs: receipt.logs, eventName: "Claimed" });
      outstanding -= event!.args.amount;
      expect(await pool()).toEqual({ balance: outstanding, outstanding, unallocated: 0n });
    }
    expect(await pool()).toEqual({ balance: 0n, outstanding: 0n, unallocated: 0n });
    for (const e of epochs) {
      const { total, claimedTotal } = await epochTotals(e.epoch);
      expect(claimedTotal).toBe(total);
    }
  });
});
