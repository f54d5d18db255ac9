/**
 * The contracts and `@flock/protocol` compute the same integers: the same seeded random vectors go to the
 * TypeScript functions and to the contracts (views and real transactions), and the results must be equal.
 */
import {
  buildRewardTree,
  emissionForMint,
  gmForLock,
  redemption,
  rewardProof,
  slash,
  verifyRewardProof,
} from "@flock/protocol";
import fc from "fast-check";
import { getAddress, keccak256, parseEventLogs, toHex } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import {
  emissionAbi,
  emissionBytecode,
  gmFlockAbi,
  rewardTree,
  slashingAbi,
  stakeRole,
} from "../src/index.ts";
import { confirm } from "./support/deploy.ts";
import {
  createFixture,
  createTask,
  DAY,
  type Fixture,
  FLOCK,
  fundFlock,
  lockFor,
  now,
  stakeFor,
} from "./support/fixture.ts";
import { isolateEachTest } from "./support/isolate.ts";
import { expectRevert } from "./support/revert.ts";
import { rewardTotal } from "./support/rewardTotal.ts";

const SEED = 20_261_122;
const runs = (numRuns: number) => ({ seed: SEED, numRuns });
const amount = (max: bigint) => fc.bigInt({ min: 1n, max });

describe("cross-check: contracts and @flock/protocol agree on the same random vectors", () => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await createFixture();
  });
  isolateEachTest(() => fx);

  it("gmFLOCK for a lock: GmFlock.gmForLock equals protocol's gmForLock for any amount and duration", async () => {
    await fc.assert(
      fc.asyncProperty(amount(2n ** 200n), fc.integer({ min: 0, max: 1_000 }), async (n, days) => {
        expect(await fx.flock.gmFlock.read.gmForLock([n, BigInt(days)])).toBe(gmForLock(n, days));
      }),
      runs(300),
    );
  });

  it("real locks mint protocol's gmFLOCK and real unlocks charge protocol's redemption fee", async () => {
    const { alice, treasury } = fx.wallets;
    const vectors = fc.sample(fc.tuple(amount(1_000n * FLOCK), fc.integer({ min: 0, max: 365 })), {
      seed: SEED,
      numRuns: 25,
    });
    await confirm(
      fx.net,
      fx.flock.as(alice).flockToken.write.approve([fx.flock.addresses.GmFlock, 2n ** 255n]),
    );
    for (const [n, days] of vectors) {
      const receipt = await confirm(fx.net, fx.flock.as(alice).gmFlock.write.lock([n, days]));
      const [locked] = parseEventLogs({ abi: gmFlockAbi, logs: receipt.logs, eventName: "Locked" });
      expect(locked?.args.gmAmount).toBe(gmForLock(n, days));
    }
    // a 0-day lock is unlockable at once: its redemption matches protocol's
    for (const [n] of vectors.slice(0, 10)) {
      const lockId = await lockFor(fx, alice, n, 0);
      const before = await fx.flock.flockToken.read.balanceOf([treasury.account.address]);
      const receipt = await confirm(fx.net, fx.flock.as(alice).gmFlock.write.unlock([lockId]));
      const [unlocked] = parseEventLogs({ abi: gmFlockAbi, logs: receipt.logs, eventName: "Unlocked" });
      const expected = redemption(n);
      expect([unlocked?.args.flockReturned, unlocked?.args.redemptionFee]).toEqual([
        expected.returned,
        expected.fee,
      ]);
      expect(await fx.flock.flockToken.read.balanceOf([treasury.account.address])).toBe(
        before + expected.fee,
      );
    }
  });

  it("redemption fee and slash prover share: the contracts' pure helpers equal protocol's", async () => {
    await fc.assert(
      fc.asyncProperty(amount(2n ** 240n), async (n) => {
        expect(await fx.flock.gmFlock.read.redemptionFee([n])).toBe(redemption(n).fee);
        expect(await fx.flock.slashing.read.proverShareOf([n])).toBe(slash(n, 10_000).toProver);
      }),
      runs(200),
    );
  });

  it("emission: scheduledEmission(k) equals protocol's emissionForMint(k, E0) for random E0 and k", async () => {
    const admin = fx.wallets.admin;
    const e0s = fc.sample(amount(10n ** 27n), { seed: SEED, numRuns: 4 });
    for (const e0 of e0s) {
      const hash = await admin.deployContract({
        abi: emissionAbi,
        bytecode: emissionBytecode,
        args: [fx.flock.addresses.FlockToken, e0, admin.account.address, admin.account.address],
      });
      const receipt = await confirm(fx.net, hash);
      const address = getAddress(receipt.contractAddress!);
      const ks = fc.sample(fc.integer({ min: 0, max: 2_339 }), {
        seed: SEED + Number(e0 % 1000n),
        numRuns: 40,
      });
      for (const k of [0, 29, 30, 2_339, ...ks]) {
        const onChain = await fx.net.publicClient.readContract({
          address,
          abi: emissionAbi,
          functionName: "scheduledEmission",
          args: [BigInt(k)],
        });
        expect(onChain).toBe(emissionForMint(k, e0));
      }
    }
  });

  it("slashing: real slashes split exactly as protocol's slash(stake, fraction)", async () => {
    const { alice, prover, coordinator } = fx.wallets;
    await createTask(fx, {
      id: 1n,
      minStake: 1n,
      minLockDays: 0,
      endTime: (await now(fx.net)) + DAY,
      disputeWindow: 0n,
    });
    const lockId = await lockFor(fx, alice, 50_000n * FLOCK, 0);
    await stakeFor(fx, alice, 1n, stakeRole.trainer, 49_000n * FLOCK, lockId);
    const fractions = fc.sample(fc.integer({ min: 1, max: 3_000 }), { seed: SEED, numRuns: 15 });
    for (const [i, fraction] of fractions.entries()) {
      const stake = await fx.flock.taskStaking.read.stakeOf([1n, alice.account.address]);
      const receipt = await confirm(
        fx.net,
        fx.flock
          .as(coordinator)
          .slashing.write.slash([
            1n,
            alice.account.address,
            fraction,
            keccak256(toHex(`fault ${i}`)),
            prover.account.address,
          ]),
      );
      const [event] = parseEventLogs({ abi: slashingAbi, logs: receipt.logs, eventName: "Slashed" });
      const expected = slash(stake, fraction);
      expect([event?.args.amount, event?.args.proverShare, event?.args.treasuryShare]).toEqual([
        expected.slashed,
        expected.toProver,
        expected.toPool,
      ]);
      expect(await fx.flock.taskStaking.read.stakeOf([1n, alice.account.address])).toBe(
        stake - expected.slashed,
      );
    }
  });

  it("Merkle trees: protocol's roots, leaves and proofs are accepted on-chain, and tampered ones rejected by both", async () => {
    const { admin, coordinator } = fx.wallets;
    await fundFlock(fx, [fx.flock.addresses.RewardDistributor], 500_000n * FLOCK);
    const leafArb = fc.record({
      account: fc
        .uint8Array({ minLength: 20, maxLength: 20 })
        .map((bytes) => toHex(bytes))
        .filter((hex) => BigInt(hex) > 0xffffn),
      amount: amount(1_000n * FLOCK),
    });
    const treesArb = fc.uniqueArray(leafArb, {
      minLength: 1,
      maxLength: 24,
      selector: (leaf) => leaf.account,
    });
    const samples = fc.sample(treesArb, { seed: SEED, numRuns: 8 });
    for (const [i, leaves] of samples.entries()) {
      const epoch = BigInt(100 + i);
      const liquid = buildRewardTree(epoch, leaves);
      const vesting = buildRewardTree(epoch, leaves.slice(0, 1));
      await confirm(
        fx.net,
        fx.flock
          .as(coordinator)
          .rewardDistributor.write.postEpochRoot([
            epoch,
            liquid.root,
            vesting.root,
            keccak256(toHex(i)),
            rewardTotal(liquid, vesting),
            [],
            [],
          ]),
      );
      for (const leaf of liquid.leaves) {
        const { amount: value, proof } = rewardProof(liquid, leaf.account);
        expect(await fx.flock.rewardDistributor.read.leafOf([epoch, leaf.account, value])).toBe(
          liquid.tree!.leafHash([epoch, leaf.account, value]),
        );
        expect(
          verifyRewardProof({ root: liquid.root, epoch, account: leaf.account, amount: value, proof }),
        ).toBe(true);
        const paid = await fx.net.publicClient.simulateContract({
          account: admin.account,
          address: fx.flock.addresses.RewardDistributor,
          abi: fx.flock.rewardDistributor.abi,
          functionName: "claim",
          args: [epoch, rewardTree.liquid, leaf.account, value, proof],
        });
        expect(paid.result).toBe(value);
        // one more wei breaks the proof for both sides
        expect(
          verifyRewardProof({ root: liquid.root, epoch, account: leaf.account, amount: value + 1n, proof }),
        ).toBe(false);
      }
      const first = liquid.leaves[0]!;
      const { proof } = rewardProof(liquid, first.account);
      await confirm(
        fx.net,
        fx.flock.rewardDistributor.write.claim([
          epoch,
          rewardTree.liquid,
          first.account,
          first.amount,
          proof,
        ]),
      );
      expect(await fx.flock.flockToken.read.balanceOf([getAddress(first.account)])).toBe(first.amount);
      await expectRevert(
        fx.flock.rewardDistributor.write.claim([
          epoch,
          rewardTree.liquid,
          first.account,
          first.amount + 1n,
          proof,
        ]),
        "InvalidProof",
      );
    }
  });
});
