import { buildRewardTree, rewardProof } from "@flock/protocol";
import fc from "fast-check";
import { parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { rewardDistributorAbi, rewardTree } from "../src/index.ts";
import { confirm } from "./support/deploy.ts";
import { createFixture, DAY, type Fixture, FLOCK } from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";

const REPORT = `0x${"cd".repeat(32)}` as const;
const TASK = 5n;
const OTHER_TASK = 6n;

// SPEC §3: anyone may post a task that funds its own reward pool on-chain; pooled FLOCK is not emission.
describe("RewardDistributor: creator-funded task pools", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture();
  });
  isolateEachTest(() => fx);

  type Wallet = Fixture["wallets"]["alice"];
  const rd = () => fx.flock.rewardDistributor.read;
  const flockOf = (address: `0x${string}`) => fx.flock.flockToken.read.balanceOf([address]);

  async function fund(wallet: Wallet, taskId: bigint, amount: bigint) {
    const as = fx.flock.as(wallet);
    await confirm(fx.net, as.flockToken.write.approve([fx.flock.addresses.RewardDistributor, amount]));
    return confirm(fx.net, as.rewardDistributor.write.fundTask([taskId, amount]));
  }

  /** One liquid leaf per account; posts with the given pool draws. */
  function postWithDraws(
    epoch: bigint,
    leaves: { account: `0x${string}`; amount: bigint }[],
    draws: [bigint, bigint][],
    total = leaves.reduce((sum, leaf) => sum + leaf.amount, 0n),
  ) {
    const liquid = buildRewardTree(epoch, leaves);
    const vesting = buildRewardTree(epoch, []);
    const write = fx.flock
      .as(fx.wallets.coordinator)
      .rewardDistributor.write.postEpochRoot([
        epoch,
        liquid.root,
        vesting.root,
        REPORT,
        total,
        draws.map(([taskId]) => taskId),
        draws.map(([, amount]) => amount),
      ]);
    return { liquid, write };
  }

  async function figures() {
    const [balance, outstanding, unallocated, pooledTotal] = await Promise.all([
      flockOf(fx.flock.addresses.RewardDistributor),
      rd().outstanding(),
      rd().unallocated(),
      rd().pooledTotal(),
    ]);
    return { balance, outstanding, unallocated, pooledTotal };
  }

  it("anyone funds a task's pool; the FLOCK is pooled, not unallocated emission", async () => {
    const { alice, bob } = fx.wallets;
    const before = await figures();
    const receipt = await fund(alice, TASK, 2_000n * FLOCK);
    const [event] = parseEventLogs({
      abi: rewardDistributorAbi,
      logs: receipt.logs,
      eventName: "TaskFunded",
    });
    expect(event?.args).toMatchObject({ taskId: TASK, amount: 2_000n * FLOCK, poolTotal: 2_000n * FLOCK });
    await fund(bob, TASK, 500n * FLOCK);
    expect(await rd().taskPool([TASK])).toBe(2_500n * FLOCK);
    expect(await rd().taskPool([OTHER_TASK])).toBe(0n);
    const after = await figures();
    expect(after.balance - before.balance).toBe(2_500n * FLOCK);
    expect(after.unallocated).toBe(before.unallocated);
    expect(after.pooledTotal).toBe(2_500n * FLOCK);
  });

  it("funding pulls only approved FLOCK and refuses zero", async () => {
    const { alice } = fx.wallets;
    await expectRevert(
      fx.flock.as(alice).rewardDistributor.write.fundTask([TASK, FLOCK]),
      "ERC20InsufficientAllowance",
    );
    await expectRevert(fx.flock.as(alice).rewardDistributor.write.fundTask([TASK, 0n]), "ZeroAmount");
  });

  it("an epoch drawn from a task pool pays its leaves; the pool and outstanding move together", async () => {
    const { alice, bob, carol } = fx.wallets;
    await fund(alice, TASK, 1_000n * FLOCK);
    const before = await figures();
    const { liquid, write } = postWithDraws(
      1n,
      [
        { account: bob.account.address, amount: 600n * FLOCK },
        { account: carol.account.address, amount: 400n * FLOCK },
      ],
      [[TASK, 1_000n * FLOCK]],
    );
    const receipt = await confirm(fx.net, write);
    const [drawn] = parseEventLogs({
      abi: rewardDistributorAbi,
      logs: receipt.logs,
      eventName: "TaskPoolDrawn",
    });
    expect(drawn?.args).toMatchObject({ epoch: 1n, taskId: TASK, amount: 1_000n * FLOCK, poolTotal: 0n });
    const after = await figures();
    expect(await rd().taskPool([TASK])).toBe(0n);
    expect(after.outstanding - before.outstanding).toBe(1_000n * FLOCK);
    expect(after.unallocated).toBe(before.unallocated);
    const carolBefore = await flockOf(carol.account.address);
    const { amount, proof } = rewardProof(liquid, carol.account.address);
    await confirm(
      fx.net,
      fx.flock
        .as(carol)
        .rewardDistributor.write.claim([1n, rewardTree.liquid, carol.account.address, amount, proof]),
    );
    expect((await flockOf(carol.account.address)) - carolBefore).toBe(400n * FLOCK);
  });

  it("attack: the coordinator draws more from a pool than its creator funded and is refused", async () => {
    const { alice, bob } = fx.wallets;
    await fund(alice, TASK, 1_000n * FLOCK);
    const { write } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: 1_001n * FLOCK }],
      [[TASK, 1_001n * FLOCK]],
    );
    await expectRevert(write, "InsufficientTaskPool", [TASK, 1_001n * FLOCK, 1_000n * FLOCK]);
    expect(await rd().taskPool([TASK])).toBe(1_000n * FLOCK);
  });

  it("attack: one task's epoch draws another creator's pool twice in one post and is refused", async () => {
    const { alice, bob } = fx.wallets;
    await fund(alice, TASK, 1_000n * FLOCK);
    const { write } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: 1_500n * FLOCK }],
      [
        [TASK, 1_000n * FLOCK],
        [TASK, 500n * FLOCK],
      ],
    );
    await expectRevert(write, "InsufficientTaskPool", [TASK, 500n * FLOCK, 0n]);
    expect(await rd().taskPool([TASK])).toBe(1_000n * FLOCK);
  });

  it("attack: a post whose pool draws exceed its total (leaving the surplus promised to nobody) is refused", async () => {
    const { alice, bob } = fx.wallets;
    await fund(alice, TASK, 1_000n * FLOCK);
    const { write } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: 100n * FLOCK }],
      [[TASK, 1_000n * FLOCK]],
    );
    await expectRevert(write, "PoolDrawsExceedTotal", [1n, 1_000n * FLOCK, 100n * FLOCK]);
    // a draws list whose two arrays differ in length is refused before any pool is touched
    await expectRevert(
      fx.flock
        .as(fx.wallets.coordinator)
        .rewardDistributor.write.postEpochRoot([
          2n,
          `0x${"11".repeat(32)}`,
          `0x${"0".repeat(64)}`,
          REPORT,
          1n,
          [TASK],
          [],
        ]),
      "PoolDrawsMismatch",
      [1n, 0n],
    );
    expect(await rd().taskPool([TASK])).toBe(1_000n * FLOCK);
    const { write: drawingItsShare } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: 100n * FLOCK }],
      [[TASK, 100n * FLOCK]],
    );
    await confirm(fx.net, drawingItsShare);
    expect(await rd().taskPool([TASK])).toBe(900n * FLOCK);
  });

  it("attack: pooled FLOCK cannot pay an emission-funded epoch of another task", async () => {
    const { alice, bob } = fx.wallets;
    // the distributor holds no emission in this fixture: everything is alice's pool
    expect(await rd().unallocated()).toBe(0n);
    await fund(alice, TASK, 1_000n * FLOCK);
    const { write } = postWithDraws(1n, [{ account: bob.account.address, amount: 1_000n * FLOCK }], []);
    await expectRevert(write, "InsufficientRewards", [1_000n * FLOCK, 0n]);
    // a mixed epoch: the pool pays its part, emission the rest, which must fit in unallocated
    await fx.net.testClient.increaseTime({ seconds: Number(DAY) });
    await confirm(fx.net, fx.flock.as(fx.wallets.coordinator).emission.write.mint());
    const emission = await rd().unallocated();
    const { write: tooMuch } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: emission + 1_000n * FLOCK + 1n }],
      [[TASK, 1_000n * FLOCK]],
    );
    await expectRevert(tooMuch, "InsufficientRewards", [emission + 1n, emission]);
    const { write: exact } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: emission + 1_000n * FLOCK }],
      [[TASK, 1_000n * FLOCK]],
    );
    await confirm(fx.net, exact);
    const after = await figures();
    expect([after.unallocated, after.pooledTotal]).toEqual([0n, 0n]);
    expect(after.outstanding).toBe(after.balance);
  });

  it("nobody can take a pool out: the one refund needs a cancelled pool, and only the coordinator posts epochs", async () => {
    const { alice, bob } = fx.wallets;
    await fund(alice, TASK, 1_000n * FLOCK);
    const abiNames = rewardDistributorAbi.filter((item) => item.type === "function").map((item) => item.name);
    expect(abiNames.filter((name) => /withdraw|refund|sweep|rescue/i.test(name))).toEqual([
      "refundTaskFunding",
    ]);
    await expectRevert(
      fx.flock.as(alice).rewardDistributor.write.refundTaskFunding([TASK]),
      "TaskPoolNotCancelled",
      [TASK],
    );
    const liquid = buildRewardTree(1n, [{ account: alice.account.address, amount: 1_000n * FLOCK }]);
    await expectRevert(
      fx.flock
        .as(alice)
        .rewardDistributor.write.postEpochRoot([
          1n,
          liquid.root,
          liquid.root,
          REPORT,
          1_000n * FLOCK,
          [TASK],
          [1_000n * FLOCK],
        ]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      fx.flock
        .as(bob)
        .flockToken.write.transferFrom([fx.flock.addresses.RewardDistributor, bob.account.address, 1n]),
      "ERC20InsufficientAllowance",
    );
    expect(await rd().taskPool([TASK])).toBe(1_000n * FLOCK);
  });

  it("property: any sequence of fundings and draws keeps balance = outstanding + pooled + unallocated, each pool ≥ 0", async () => {
    const { alice, bob, carol } = fx.wallets;
    const funders = [alice, bob, carol];
    const step = fc.oneof(
      fc.record({
        kind: fc.constant("fund" as const),
        who: fc.nat(2),
        task: fc.nat(2),
        amount: fc.bigInt(1n, 500n),
      }),
      fc.record({
        kind: fc.constant("post" as const),
        task: fc.nat(2),
        amount: fc.bigInt(0n, 600n),
      }),
    );
    let epoch = 1_000n;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 6 }), async (steps) => {
        const snapshot = await fx.net.testClient.snapshot();
        try {
          const pools = [0n, 0n, 0n];
          for (const s of steps) {
            const amount = s.amount * FLOCK;
            if (s.kind === "fund") {
              await fund(funders[s.who]!, BigInt(s.task), amount);
              pools[s.task]! += amount;
              continue;
            }
            epoch += 1n;
            const leaves = amount === 0n ? [] : [{ account: alice.account.address, amount }];
            const { write } = postWithDraws(epoch, leaves, [[BigInt(s.task), amount]]);
            if (amount > pools[s.task]!) {
              await expectRevert(write, "InsufficientTaskPool", [BigInt(s.task), amount, pools[s.task]]);
            } else {
              await confirm(fx.net, write);
              pools[s.task]! -= amount;
            }
          }
          const f = await figures();
          for (const [task, pool] of pools.entries()) expect(await rd().taskPool([BigInt(task)])).toBe(pool);
          expect(f.pooledTotal).toBe(pools.reduce((a, b) => a + b, 0n));
          expect(f.balance).toBe(f.outstanding + f.pooledTotal + f.unallocated);
        } finally {
          await fx.net.testClient.revert({ id: snapshot });
        }
      }),
      { numRuns: 12 },
    );
  });

  it("a cancelled pool no epoch drew from goes back to each funder, once; nothing is lost", async () => {
    const { alice, bob } = fx.wallets;
    await fund(alice, TASK, 700n * FLOCK);
    await fund(bob, TASK, 300n * FLOCK);
    const before = await figures();
    const aliceBefore = await flockOf(alice.account.address);
    // Attack: a stranger (not the coordinator) cancels the pool, and a funder refunds before any cancel.
    await expectRevert(
      fx.flock.as(bob).rewardDistributor.write.cancelTaskPool([TASK]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      fx.flock.as(alice).rewardDistributor.write.refundTaskFunding([TASK]),
      "TaskPoolNotCancelled",
      [TASK],
    );
    const cancel = await confirm(
      fx.net,
      fx.flock.as(fx.wallets.coordinator).rewardDistributor.write.cancelTaskPool([TASK]),
    );
    const [cancelled] = parseEventLogs({
      abi: rewardDistributorAbi,
      logs: cancel.logs,
      eventName: "TaskPoolCancelled",
    });
    expect(cancelled?.args).toMatchObject({ taskId: TASK, poolTotal: 1_000n * FLOCK });
    await expectRevert(
      fx.flock.as(fx.wallets.coordinator).rewardDistributor.write.cancelTaskPool([TASK]),
      "PoolCancelled",
      [TASK],
    );
    // The cancelled pool takes no more FLOCK and pays no epoch.
    await confirm(
      fx.net,
      fx.flock.as(alice).flockToken.write.approve([fx.flock.addresses.RewardDistributor, FLOCK]),
    );
    await expectRevert(fx.flock.as(alice).rewardDistributor.write.fundTask([TASK, FLOCK]), "PoolCancelled", [
      TASK,
    ]);
    const { write } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: 100n * FLOCK }],
      [[TASK, 100n * FLOCK]],
    );
    await expectRevert(write, "PoolCancelled", [TASK]);

    // Each funder takes back exactly what it put in, once; a stranger has nothing to take.
    await confirm(fx.net, fx.flock.as(alice).rewardDistributor.write.refundTaskFunding([TASK]));
    expect((await flockOf(alice.account.address)) - aliceBefore).toBe(700n * FLOCK);
    await expectRevert(
      fx.flock.as(alice).rewardDistributor.write.refundTaskFunding([TASK]),
      "NothingToRefund",
      [TASK, alice.account.address],
    );
    await expectRevert(
      fx.flock.as(fx.wallets.carol).rewardDistributor.write.refundTaskFunding([TASK]),
      "NothingToRefund",
      [TASK, fx.wallets.carol.account.address],
    );
    await confirm(fx.net, fx.flock.as(bob).rewardDistributor.write.refundTaskFunding([TASK]));
    const after = await figures();
    expect(await rd().taskPool([TASK])).toBe(0n);
    expect(before.balance - after.balance).toBe(1_000n * FLOCK);
    expect(before.pooledTotal - after.pooledTotal).toBe(1_000n * FLOCK);
    expect(after.unallocated).toBe(before.unallocated);
    expect(after.outstanding).toBe(before.outstanding);
  });

  it("attack: a pool an epoch drew from is bound to its task and cannot be cancelled or refunded", async () => {
    const { alice, bob } = fx.wallets;
    await fund(alice, TASK, 1_000n * FLOCK);
    const { write } = postWithDraws(
      1n,
      [{ account: bob.account.address, amount: 400n * FLOCK }],
      [[TASK, 400n * FLOCK]],
    );
    await confirm(fx.net, write);
    expect(await rd().poolBound([TASK])).toBe(true);
    await expectRevert(
      fx.flock.as(fx.wallets.coordinator).rewardDistributor.write.cancelTaskPool([TASK]),
      "TaskPoolBound",
      [TASK],
    );
    await expectRevert(
      fx.flock.as(alice).rewardDistributor.write.refundTaskFunding([TASK]),
      "TaskPoolNotCancelled",
      [TASK],
    );
    expect(await rd().taskPool([TASK])).toBe(600n * FLOCK);
  });
});
