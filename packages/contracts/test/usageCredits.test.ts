import { buildRewardTree, rewardProof } from "@flock/protocol";
import fc from "fast-check";
import { type Hex, parseEventLogs } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { rewardTree, usageCreditsAbi } from "../src/index.ts";
import { consumerAddresses, runCreditsScenario } from "./support/creditsScenario.ts";
import { confirm } from "./support/deploy.ts";
import { addressOf, createFixture, DAY, type Fixture, FLOCK, increaseTime, now } from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";

const ZERO_ROOT = `0x${"0".repeat(64)}` as const;
const REPORT = `0x${"cd".repeat(32)}` as const;

describe("UsageCredits: prepaid FLOCK for API usage, collected per epoch into the RewardDistributor", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture();
  });
  isolateEachTest(() => fx);

  type Wallet = Fixture["wallets"]["alice"];
  const credits = (wallet?: Wallet) => (wallet ? fx.flock.as(wallet) : fx.flock).usageCredits;
  const flockOf = (address: Hex) => fx.flock.flockToken.read.balanceOf([address]);
  const creditOf = (wallet: Wallet) => fx.flock.usageCredits.read.balanceOf([wallet.account.address]);

  async function deposit(wallet: Wallet, amount: bigint, forAccount?: Wallet) {
    const as = fx.flock.as(wallet);
    await confirm(fx.net, as.flockToken.write.approve([fx.flock.addresses.UsageCredits, amount]));
    return confirm(
      fx.net,
      forAccount === undefined
        ? as.usageCredits.write.deposit([amount])
        : as.usageCredits.write.depositFor([forAccount.account.address, amount]),
    );
  }

  function collect(epoch: bigint, charges: [Wallet, bigint][], as: Wallet = fx.wallets.coordinator) {
    return credits(as).write.collect([
      epoch,
      charges.map(([wallet]) => wallet.account.address),
      charges.map(([, amount]) => amount),
    ]);
  }

  /** Σ balances equals the contract's recorded total and its FLOCK (nobody sent FLOCK here by plain transfer). */
  async function expectConserved(wallets: Wallet[]) {
    const balances = await Promise.all(wallets.map(creditOf));
    const sum = balances.reduce((a, b) => a + b, 0n);
    expect(await fx.flock.usageCredits.read.totalCredits()).toBe(sum);
    expect(await flockOf(fx.flock.addresses.UsageCredits)).toBe(sum);
  }

  it("a deposit pulls approved FLOCK into the caller's balance and says so in its event", async () => {
    const { alice } = fx.wallets;
    const before = await flockOf(alice.account.address);
    const receipt = await deposit(alice, 50n * FLOCK);
    await deposit(alice, 25n * FLOCK);
    expect(await creditOf(alice)).toBe(75n * FLOCK);
    expect(await flockOf(alice.account.address)).toBe(before - 75n * FLOCK);
    const [event] = parseEventLogs({
      abi: usageCreditsAbi,
      logs: receipt.logs,
      eventName: "CreditDeposited",
    });
    expect(event?.args).toEqual({
      account: addressOf(alice),
      from: addressOf(alice),
      amount: 50n * FLOCK,
      balance: 50n * FLOCK,
    });
    await expectRevert(credits(alice).write.deposit([0n]), "ZeroAmount");
    // without an allowance the token refuses the pull
    await expectRevert(credits(alice).write.deposit([FLOCK]), "ERC20InsufficientAllowance");
  });

  it("depositFor funds another account, which alone may withdraw it", async () => {
    const { alice, bob } = fx.wallets;
    const receipt = await deposit(bob, 40n * FLOCK, alice);
    const [event] = parseEventLogs({
      abi: usageCreditsAbi,
      logs: receipt.logs,
      eventName: "CreditDeposited",
    });
    expect(event?.args).toMatchObject({
      account: addressOf(alice),
      from: addressOf(bob),
      amount: 40n * FLOCK,
    });
    expect(await creditOf(alice)).toBe(40n * FLOCK);
    expect(await creditOf(bob)).toBe(0n);
    // bob funded it, but cannot request it back: he has no balance of his own
    await expectRevert(credits(bob).write.requestWithdrawal([FLOCK]), "InsufficientCredit", [
      bob.account.address,
      FLOCK,
      0n,
    ]);
    await expectRevert(credits(bob).write.withdraw(), "NoWithdrawalRequested", [bob.account.address]);
    await expectRevert(
      credits(bob).write.depositFor(["0x0000000000000000000000000000000000000000", FLOCK]),
      "ZeroAddress",
    );
  });

  it("a withdrawal waits for the delay: too early is refused with the time it becomes available", async () => {
    const { alice } = fx.wallets;
    await deposit(alice, 100n * FLOCK);
    const receipt = await confirm(fx.net, credits(alice).write.requestWithdrawal([30n * FLOCK]));
    const [event] = parseEventLogs({
      abi: usageCreditsAbi,
      logs: receipt.logs,
      eventName: "CreditWithdrawalRequested",
    });
    const availableAt = (await now(fx.net)) + 2n * DAY;
    expect(event?.args).toEqual({ account: addressOf(alice), amount: 30n * FLOCK, availableAt });
    await expectRevert(credits(alice).write.withdraw(), "WithdrawalNotReady", [
      alice.account.address,
      availableAt,
    ]);
    await increaseTime(fx.net, 2n * DAY);
    const before = await flockOf(alice.account.address);
    const paid = await confirm(fx.net, credits(alice).write.withdraw());
    const [withdrawn] = parseEventLogs({
      abi: usageCreditsAbi,
      logs: paid.logs,
      eventName: "CreditWithdrawn",
    });
    expect(withdrawn?.args).toEqual({ account: addressOf(alice), amount: 30n * FLOCK, balance: 70n * FLOCK });
    expect(await flockOf(alice.account.address)).toBe(before + 30n * FLOCK);
    expect(await creditOf(alice)).toBe(70n * FLOCK);
    // the request is used up
    await expectRevert(credits(alice).write.withdraw(), "NoWithdrawalRequested");
    await expectRevert(credits(alice).write.requestWithdrawal([71n * FLOCK]), "InsufficientCredit");
  });

  it("a new request replaces the earlier one and restarts the delay; amount 0 cancels it", async () => {
    const { alice } = fx.wallets;
    await deposit(alice, 100n * FLOCK);
    await confirm(fx.net, credits(alice).write.requestWithdrawal([30n * FLOCK]));
    await increaseTime(fx.net, DAY);
    await confirm(fx.net, credits(alice).write.requestWithdrawal([10n * FLOCK]));
    const [amount, availableAt] = await fx.flock.usageCredits.read.withdrawalRequests([
      alice.account.address,
    ]);
    expect(amount).toBe(10n * FLOCK);
    expect(availableAt).toBe((await now(fx.net)) + 2n * DAY);
    // the first request's delay has passed but it no longer exists
    await increaseTime(fx.net, DAY + 60n);
    await expectRevert(credits(alice).write.withdraw(), "WithdrawalNotReady");
    await confirm(fx.net, credits(alice).write.requestWithdrawal([0n]));
    expect(await fx.flock.usageCredits.read.withdrawalRequests([alice.account.address])).toEqual([0n, 0n]);
    await increaseTime(fx.net, 2n * DAY);
    await expectRevert(credits(alice).write.withdraw(), "NoWithdrawalRequested");
    expect(await creditOf(alice)).toBe(100n * FLOCK);
  });

  it("a withdrawal pays at most the balance left after usage collected during the delay", async () => {
    const { alice } = fx.wallets;
    await deposit(alice, 100n * FLOCK);
    await confirm(fx.net, credits(alice).write.requestWithdrawal([100n * FLOCK]));
    await confirm(fx.net, collect(1n, [[alice, 60n * FLOCK]]));
    await increaseTime(fx.net, 2n * DAY);
    const before = await flockOf(alice.account.address);
    await confirm(fx.net, credits(alice).write.withdraw());
    expect(await flockOf(alice.account.address)).toBe(before + 40n * FLOCK);
    expect(await creditOf(alice)).toBe(0n);
  });

  it("collect debits each account, emits its charges and sends the total to the RewardDistributor", async () => {
    const { alice, bob } = fx.wallets;
    await deposit(alice, 100n * FLOCK);
    await deposit(bob, 10n * FLOCK);
    const distributor = fx.flock.addresses.RewardDistributor;
    const before = await flockOf(distributor);
    const receipt = await confirm(
      fx.net,
      collect(7n, [
        [alice, 30n * FLOCK],
        [bob, 10n * FLOCK],
      ]),
    );
    const charged = parseEventLogs({ abi: usageCreditsAbi, logs: receipt.logs, eventName: "UsageCharged" });
    expect(charged.map((e) => e.args)).toEqual([
      { epoch: 7n, account: addressOf(alice), amount: 30n * FLOCK, balance: 70n * FLOCK },
      { epoch: 7n, account: addressOf(bob), amount: 10n * FLOCK, balance: 0n },
    ]);
    const [total] = parseEventLogs({ abi: usageCreditsAbi, logs: receipt.logs, eventName: "UsageCollected" });
    expect(total?.args).toEqual({ epoch: 7n, total: 40n * FLOCK });
    expect(await flockOf(distributor)).toBe(before + 40n * FLOCK);
    expect(await fx.flock.usageCredits.read.collected([7n])).toBe(true);
    await expectConserved([alice, bob]);
  });

  it("collect is refused to anyone but the collector, above a balance, twice for an epoch, or with mismatched arrays — nothing moves", async () => {
    const { alice, bob } = fx.wallets;
    await deposit(alice, 100n * FLOCK);
    await deposit(bob, 5n * FLOCK);
    await expectRevert(collect(1n, [[alice, 100n * FLOCK]], alice), "AccessControlUnauthorizedAccount");
    await expectRevert(
      collect(1n, [[alice, 100n * FLOCK]], fx.wallets.admin),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      collect(1n, [
        [alice, 10n * FLOCK],
        [bob, 6n * FLOCK],
      ]),
      "InsufficientCredit",
      [bob.account.address, 6n * FLOCK, 5n * FLOCK],
    );
    // the same account twice: the second charge meets the balance the first one left
    await expectRevert(
      collect(1n, [
        [bob, 3n * FLOCK],
        [bob, 3n * FLOCK],
      ]),
      "InsufficientCredit",
      [bob.account.address, 3n * FLOCK, 2n * FLOCK],
    );
    await expectRevert(
      credits(fx.wallets.coordinator).write.collect([1n, [alice.account.address], [FLOCK, FLOCK]]),
      "ChargesMismatch",
      [1n, 2n],
    );
    await expectRevert(credits(fx.wallets.coordinator).write.collect([1n, [], []]), "NoCharges", [1n]);
    expect(await creditOf(alice)).toBe(100n * FLOCK);
    expect(await creditOf(bob)).toBe(5n * FLOCK);
    expect(await fx.flock.usageCredits.read.collected([1n])).toBe(false);

    await confirm(fx.net, collect(1n, [[alice, FLOCK]]));
    await expectRevert(collect(1n, [[alice, FLOCK]]), "EpochAlreadyCollected", [1n]);
    expect(await creditOf(alice)).toBe(99n * FLOCK);
    await expectConserved([alice, bob]);
  });

  it("the admin alone sets the delay, within 1 hour to 30 days; requests made later use it", async () => {
    const { alice, admin } = fx.wallets;
    await expectRevert(credits(alice).write.setWithdrawalDelay([3_600n]), "AccessControlUnauthorizedAccount");
    await expectRevert(credits(admin).write.setWithdrawalDelay([3_599n]), "WithdrawalDelayOutOfRange", [
      3_599n,
      3_600n,
      30n * DAY,
    ]);
    await expectRevert(
      credits(admin).write.setWithdrawalDelay([30n * DAY + 1n]),
      "WithdrawalDelayOutOfRange",
    );
    await confirm(fx.net, credits(admin).write.setWithdrawalDelay([3_600n]));
    await deposit(alice, 10n * FLOCK);
    await confirm(fx.net, credits(alice).write.requestWithdrawal([10n * FLOCK]));
    await increaseTime(fx.net, 3_600n);
    await confirm(fx.net, credits(alice).write.withdraw());
    expect(await creditOf(alice)).toBe(0n);
  });

  it("collected usage is unallocated in the RewardDistributor: an epoch reserves it and its claims are paid", async () => {
    const { alice, bob, carol, coordinator } = fx.wallets;
    const rd = fx.flock.rewardDistributor;
    await deposit(alice, 500n * FLOCK);
    const before = await rd.read.unallocated();
    await confirm(fx.net, collect(3n, [[alice, 120n * FLOCK]]));
    expect(await rd.read.unallocated()).toBe(before + 120n * FLOCK);

    // the revenue split: bob (trainer) 90, carol (validator) 30
    const liquid = buildRewardTree(3n, [
      { account: bob.account.address, amount: 90n * FLOCK },
      { account: carol.account.address, amount: 30n * FLOCK },
    ]);
    await confirm(
      fx.net,
      fx.flock
        .as(coordinator)
        .rewardDistributor.write.postEpochRoot([3n, liquid.root, ZERO_ROOT, REPORT, 120n * FLOCK, [], []]),
    );
    expect(await rd.read.unallocated()).toBe(before);
    expect(await rd.read.outstanding()).toBe(120n * FLOCK);
    for (const wallet of [bob, carol]) {
      const { amount, proof } = rewardProof(liquid, wallet.account.address);
      const held = await flockOf(wallet.account.address);
      await confirm(
        fx.net,
        fx.flock
          .as(wallet)
          .rewardDistributor.write.claim([3n, rewardTree.liquid, wallet.account.address, amount, proof]),
      );
      expect(await flockOf(wallet.account.address)).toBe(held + amount);
    }
    expect(await rd.read.outstanding()).toBe(0n);
  });

  it("conservation: after any sequence of deposits, requests, withdrawals and collections, Σ balances = the contract's FLOCK", async () => {
    const wallets = [fx.wallets.alice, fx.wallets.bob, fx.wallets.carol];
    const op = fc.oneof(
      fc.record({ kind: fc.constant("deposit" as const), who: fc.nat(2), amount: fc.bigInt(1n, 50n) }),
      fc.record({ kind: fc.constant("request" as const), who: fc.nat(2), amount: fc.bigInt(0n, 60n) }),
      fc.record({ kind: fc.constant("withdraw" as const), who: fc.nat(2), amount: fc.constant(0n) }),
      fc.record({ kind: fc.constant("collect" as const), who: fc.nat(2), amount: fc.bigInt(0n, 60n) }),
    );
    let epoch = 100n;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 8 }), async (ops) => {
        const snapshot = await fx.net.testClient.snapshot();
        try {
          for (const { kind, who, amount } of ops) {
            const wallet = wallets[who]!;
            const units = amount * FLOCK;
            const balance = await creditOf(wallet);
            if (kind === "deposit") await deposit(wallet, units);
            else if (kind === "request" && units <= balance) {
              await confirm(fx.net, credits(wallet).write.requestWithdrawal([units]));
              await increaseTime(fx.net, 2n * DAY);
            } else if (kind === "withdraw") {
              const [requested] = await fx.flock.usageCredits.read.withdrawalRequests([
                wallet.account.address,
              ]);
              if (requested > 0n && balance > 0n) await confirm(fx.net, credits(wallet).write.withdraw());
            } else if (kind === "collect" && units <= balance) {
              epoch += 1n;
              await confirm(fx.net, collect(epoch, [[wallet, units]]));
            }
          }
          await expectConserved(wallets);
        } finally {
          await fx.net.testClient.revert({ id: snapshot });
        }
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  it("the gas scenario: 100 sponsored consumers charged over three epochs, then a withdrawal", async () => {
    const receipts = await runCreditsScenario(fx);
    expect(Object.values(receipts).every((r) => r.status === "success")).toBe(true);
    const [first, tenth, last] = [0, 9, 99].map((i) => consumerAddresses(100)[i]!);
    const read = fx.flock.usageCredits.read;
    // consumer 0 was charged in all three epochs, 1–9 in two, 10–99 in one
    expect(await read.balanceOf([first!])).toBe(7n * FLOCK);
    expect(await read.balanceOf([tenth!])).toBe(8n * FLOCK);
    expect(await read.balanceOf([last!])).toBe(9n * FLOCK);
    expect(await read.balanceOf([fx.wallets.alice.account.address])).toBe(90n * FLOCK);
    expect(await read.totalCredits()).toBe(90n * FLOCK + 1_000n * FLOCK - 111n * FLOCK);
  }, 60_000);
});
