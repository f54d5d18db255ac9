import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseFlock } from "@flock/core";
import {
  computeEpoch,
  type EpochInputs,
  epochRewardProof,
  redemption,
  slash as slashRule,
  verifyRewardProof,
} from "@flock/protocol";
import { type Address, keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approve } from "./actions/approve.ts";
import { claimRewards } from "./actions/claimRewards.ts";
import { createTask } from "./actions/createTask.ts";
import { delegate } from "./actions/delegate.ts";
import { getBalances } from "./actions/getBalances.ts";
import { getRewardPool } from "./actions/getRewardPool.ts";
import { lockFlock } from "./actions/lockFlock.ts";
import { mintEmission } from "./actions/mintEmission.ts";
import { postEpochRoot } from "./actions/postEpochRoot.ts";
import { setSigma } from "./actions/setSigma.ts";
import { setTaskStatus } from "./actions/setTaskStatus.ts";
import { slash } from "./actions/slash.ts";
import { stake } from "./actions/stake.ts";
import { undelegate } from "./actions/undelegate.ts";
import { unlock } from "./actions/unlock.ts";
import { withdrawStake } from "./actions/withdrawStake.ts";
import type { FlockClient } from "./client.ts";
import { collectEvents, type FlockEvent } from "./readEvents.ts";
import { type LocalChain, startLocalChain } from "./startLocalChain.ts";

const DAY = 86_400;
let dataDir: string;
let chain: LocalChain;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flock-e2e-"));
  chain = await startLocalChain({ dataDir });
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function lock(client: FlockClient, flock: string, days: number): Promise<bigint> {
  const amount = parseFlock(flock);
  await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
  return (await lockFlock(client, { amount, days })).lockId;
}

async function flockOf(client: FlockClient, account: Address = client.account.address): Promise<bigint> {
  return (await getBalances(client, { account })).flock;
}

describe("end to end through the chain package", () => {
  it("lock → stake → delegate → epoch root from the protocol → claims → slash → withdraw → unlock with fee", async () => {
    const coordinator = chain.clientFor(chain.roles.coordinator);
    const alice = chain.clientFor(chain.accounts[3]!); // trainer with a delegation pool
    const dave = chain.clientFor(chain.accounts[6]!); // trainer, slashed later
    const bob = chain.clientFor(chain.accounts[4]!); // validator, proves dave's fault
    const carol = chain.clientFor(chain.accounts[5]!); // delegator
    const startBlock = BigInt(chain.manifest.blockNumber);
    const taskId = 1n;
    const start = (await coordinator.publicClient.getBlock()).timestamp;
    await createTask(coordinator, {
      taskId,
      minStake: parseFlock("3000"),
      minLockDays: 30,
      submissionDeadline: start + BigInt(10 * DAY),
      endTime: start + BigInt(20 * DAY),
      disputeWindowSec: BigInt(DAY),
    });

    // Lock and stake: two trainers and a validator.
    const aliceLock = await lock(alice, "10000", 365);
    const daveLock = await lock(dave, "4000", 30);
    const bobLock = await lock(bob, "5000", 30);
    for (const [client, amount] of [
      [alice, "9000"],
      [dave, "4000"],
      [bob, "5000"],
    ] as const) {
      await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount: parseFlock(amount) });
    }
    await stake(alice, { taskId, role: "trainer", amount: parseFlock("9000"), lockId: aliceLock });
    await stake(dave, { taskId, role: "trainer", amount: parseFlock("4000"), lockId: daveLock });
    await stake(bob, { taskId, role: "validator", amount: parseFlock("5000"), lockId: bobLock });

    // Delegate: alice opens her pool, carol delegates to it.
    await setSigma(alice, { sigmaBps: 8000 });
    const carolLock = await lock(carol, "1000", 60);
    await approve(carol, { token: "gmFLOCK", spender: "DelegationPools", amount: parseFlock("1000") });
    await delegate(carol, { participant: alice.account.address, amount: parseFlock("1000") });

    // A day later the coordinator mints the emission into the distributor and settles the epoch.
    await chain.advanceTime(DAY);
    const minted = await mintEmission(coordinator);
    expect(minted.recipient).toBe(chain.addresses.RewardDistributor);

    // The coordinator's indexer: stakes, pools and delegations come from the chain's events.
    const seen = await collectEvents(coordinator, { fromBlock: startBlock });
    const epochEnd = (await coordinator.publicClient.getBlock()).timestamp;
    const of = <K extends FlockEvent["kind"]>(kind: K) =>
      seen.filter((e): e is Extract<FlockEvent, { kind: K }> => e.kind === kind);
    const trainers = of("staked").filter((e) => e.args.role === 1);
    const validators = of("staked").filter((e) => e.args.role === 2);
    const sigma = new Map(of("sigmaSet").map((e) => [e.args.participant, e.args.sigmaBps]));
    const delegations = await Promise.all(
      of("delegated").map(async (e) => ({
        participant: e.args.participant,
        account: e.args.delegator,
        amount: e.args.delegation,
        seconds:
          epochEnd - (await coordinator.publicClient.getBlock({ blockNumber: e.blockNumber })).timestamp,
      })),
    );
    expect(trainers.map((e) => e.args.account)).toEqual([alice.account.address, dave.account.address]);
    expect(delegations.map((d) => [d.account, d.amount])).toEqual([
      [carol.account.address, parseFlock("1000")],
    ]);
    // Delegated for the day the clock was moved on, plus the wall-clock seconds the test itself took.
    expect(delegations[0]!.seconds).toBeGreaterThanOrEqual(BigInt(DAY));
    expect(delegations[0]!.seconds).toBeLessThan(BigInt(DAY + 30));
    // Validator scores are off-chain data (lower bits per character is better): alice beat dave.
    const scores = new Map([
      [alice.account.address, parseFlock("1.10")],
      [dave.account.address, parseFlock("1.30")],
    ]);
    const inputs: EpochInputs = {
      epoch: 1n,
      emission: parseFlock("1000"),
      treasury: chain.roles.treasury.address,
      tasks: [{ id: "task-1", weight: 1n, gammaBps: 1000n, direction: "lower-is-better" }],
      submissions: trainers.map((e) => ({
        id: `sub-${e.args.account}`,
        task: "task-1",
        account: e.args.account,
        stake: e.args.totalStake,
        ...(sigma.has(e.args.account) ? { sigmaBps: BigInt(sigma.get(e.args.account)!) } : {}),
        delegators: delegations.filter((d) => d.participant === e.args.account),
      })),
      validators: validators.map((e) => ({
        account: e.args.account,
        task: "task-1",
        stake: e.args.totalStake,
        completedAssignments: 2n,
        scores: trainers.map((t) => ({
          submission: `sub-${t.args.account}`,
          score: scores.get(t.args.account)!,
        })),
      })),
      params: {
        sigmaMinBps: BigInt(chain.manifest.params.sigmaMinBps!),
        sigmaMaxBps: BigInt(chain.manifest.params.sigmaMaxBps!),
      },
    };
    const epoch = computeEpoch(inputs);
    // total = Σ leaf amounts of both trees: what the epoch reserves in the distributor
    const total = [...epoch.trees.liquid.leaves, ...epoch.trees.vesting.leaves].reduce(
      (sum, leaf) => sum + leaf.amount,
      0n,
    );
    expect(total).toBe(epoch.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n));
    const pool = await getRewardPool(coordinator);
    const posted = await postEpochRoot(coordinator, {
      epoch: epoch.epoch,
      liquidRoot: epoch.trees.liquid.root,
      vestingRoot: epoch.trees.vesting.root,
      reportHash: epoch.reportHash,
      total,
    });
    expect(await getRewardPool(coordinator, { blockNumber: posted.blockNumber - 1n })).toEqual(pool);
    expect(await getRewardPool(coordinator)).toEqual({
      balance: pool.balance,
      outstanding: pool.outstanding + total,
      pooled: 0n,
      unallocated: pool.unallocated - total,
    });

    // Every liquid reward is claimable with its proof and pays exactly its amount (claim fee 0).
    const liquid = epoch.rewards.filter((r) => r.liquid > 0n);
    expect(liquid.map((r) => r.account)).toEqual(
      expect.arrayContaining([
        alice.account.address.toLowerCase(),
        carol.account.address.toLowerCase(),
        bob.account.address.toLowerCase(),
      ]),
    );
    const claimers = new Map([alice, bob, carol, dave].map((c) => [c.account.address.toLowerCase(), c]));
    for (const reward of liquid) {
      const claimer = claimers.get(reward.account) ?? coordinator; // anyone may submit (the treasury's dust line too)
      const claim = epochRewardProof(epoch, "liquid", reward.account);
      expect(
        verifyRewardProof({
          root: claim.root,
          epoch: 1n,
          account: reward.account,
          amount: claim.amount,
          proof: claim.proof,
        }),
      ).toBe(true);
      const before = await flockOf(coordinator, reward.account);
      const paid = await claimRewards(claimer, {
        epoch: 1n,
        tree: "liquid",
        account: reward.account,
        amount: claim.amount,
        proof: claim.proof,
      });
      expect(paid.paid).toBe(reward.liquid);
      expect(await flockOf(coordinator, reward.account)).toBe(before + reward.liquid);
    }

    // Trainers' vesting share releases linearly over 30 days from the posting.
    const aliceVesting = epochRewardProof(epoch, "vesting", alice.account.address);
    expect(aliceVesting.amount).toBeGreaterThan(0n);
    const postedAt = (await coordinator.publicClient.getBlock({ blockNumber: posted.blockNumber })).timestamp;
    await chain.advanceTime(10 * DAY);
    const partial = await claimRewards(alice, {
      epoch: 1n,
      tree: "vesting",
      amount: aliceVesting.amount,
      proof: aliceVesting.proof,
    });
    const claimedAt = (
      await coordinator.publicClient.getTransactionReceipt({ hash: partial.transactionHash })
    ).blockNumber;
    const elapsed =
      (await coordinator.publicClient.getBlock({ blockNumber: claimedAt })).timestamp - postedAt;
    // released = amount · elapsed / duration (floor)
    expect(partial.gross).toBe((aliceVesting.amount * elapsed) / BigInt(30 * DAY));
    await chain.advanceTime(30 * DAY);
    const rest = await claimRewards(alice, {
      epoch: 1n,
      tree: "vesting",
      amount: aliceVesting.amount,
      proof: aliceVesting.proof,
    });
    expect(partial.gross + rest.gross).toBe(aliceVesting.amount);
    expect(rest.totalClaimed).toBe(aliceVesting.amount);
    // what the epoch still owes is exactly its unclaimed vesting (only alice's was claimed)
    expect((await getRewardPool(coordinator)).outstanding).toBe(
      pool.outstanding +
        epoch.trees.vesting.leaves.reduce((sum, leaf) => sum + leaf.amount, 0n) -
        aliceVesting.amount,
    );

    // Slash half of dave's stake for a proven fault; bob proved it and gets 10%.
    const slashed = await slash(coordinator, {
      taskId,
      account: dave.account.address,
      fractionBps: 5000,
      evidenceHash: keccak256(toHex("dave: copied submission, report sha256:…")),
      prover: bob.account.address,
    });
    const rule = slashRule(parseFlock("4000"), 5000);
    expect([slashed.amount, slashed.proverShare, slashed.treasuryShare]).toEqual([
      rule.slashed,
      rule.toProver,
      rule.toPool,
    ]);

    // Close the task; after the dispute window the stakes come back; carol takes her delegation back.
    await setTaskStatus(coordinator, { taskId, status: "closed" });
    await chain.advanceTime(DAY);
    expect((await withdrawStake(alice, { taskId })).amount).toBe(parseFlock("9000"));
    expect((await withdrawStake(dave, { taskId })).amount).toBe(parseFlock("2000"));
    expect((await withdrawStake(bob, { taskId })).amount).toBe(parseFlock("5000"));
    await undelegate(carol, { participant: alice.account.address, amount: parseFlock("1000") });

    // Unlock after expiry with the 5% redemption fee; dave's slashed gmFLOCK forfeits its FLOCK.
    await chain.advanceTime(365 * DAY);
    const treasuryBefore = await flockOf(coordinator, chain.roles.treasury.address);
    const aliceBefore = await flockOf(alice);
    const aliceUnlock = await unlock(alice, { lockId: aliceLock });
    expect(aliceUnlock).toMatchObject({
      flockReturned: parseFlock("9500"),
      redemptionFee: parseFlock("500"),
      forfeited: 0n,
    });
    expect(await flockOf(alice)).toBe(aliceBefore + parseFlock("9500"));
    await expect(unlock(dave, { lockId: daveLock })).rejects.toMatchObject({ code: "GMFLOCK_SHORTFALL" });
    const daveUnlock = await unlock(dave, { lockId: daveLock, forfeitShortfall: true });
    const daveRedemption = redemption(parseFlock("2000"));
    expect(daveUnlock).toMatchObject({
      gmBurned: parseFlock("2000"),
      flockReturned: daveRedemption.returned,
      redemptionFee: daveRedemption.fee,
      forfeited: parseFlock("2000"),
    });
    await unlock(bob, { lockId: bobLock });
    await unlock(carol, { lockId: carolLock });
    // Treasury: 5% of alice's 10000, dave's fee and forfeit, bob's 250, carol's 50.
    expect((await flockOf(coordinator, chain.roles.treasury.address)) - treasuryBefore).toBe(
      parseFlock("500") + daveRedemption.fee + parseFlock("2000") + parseFlock("250") + parseFlock("50"),
    );

    // The event reader saw exactly what the actions did, in order, however it chunks the range.
    const all = await collectEvents(coordinator, { fromBlock: startBlock });
    const count = (kind: FlockEvent["kind"]) => all.filter((e) => e.kind === kind).length;
    expect({
      taskCreated: count("taskCreated"),
      locked: count("locked"),
      staked: count("staked"),
      sigmaSet: count("sigmaSet"),
      delegated: count("delegated"),
      undelegated: count("undelegated"),
      epochRootPosted: count("epochRootPosted"),
      claimed: count("claimed"),
      slashed: count("slashed"),
      stakeSeized: count("stakeSeized"),
      taskStatusSet: count("taskStatusSet"),
      stakeWithdrawn: count("stakeWithdrawn"),
      unlocked: count("unlocked"),
      emissionMinted: count("emissionMinted"),
    }).toEqual({
      taskCreated: 1,
      locked: 4,
      staked: 3,
      sigmaSet: 1,
      delegated: 1,
      undelegated: 1,
      epochRootPosted: 1,
      claimed: liquid.length + 2,
      slashed: 1,
      stakeSeized: 1,
      taskStatusSet: 2, // open at creation, then closed
      stakeWithdrawn: 3,
      unlocked: 4,
      emissionMinted: 2, // the local chain's funding mint, then the epoch's
    });
    const root = all.find((e) => e.kind === "epochRootPosted");
    expect(root?.kind === "epochRootPosted" && root.args).toMatchObject({
      epoch: 1n,
      liquidRoot: epoch.trees.liquid.root,
      vestingRoot: epoch.trees.vesting.root,
      reportHash: epoch.reportHash,
      vestingDuration: BigInt(30 * DAY),
      total,
    });
    const slashEvent = all.find((e) => e.kind === "slashed");
    expect(slashEvent?.kind === "slashed" && slashEvent.args).toMatchObject({
      account: dave.account.address,
      prover: bob.account.address,
      amount: slashed.amount,
    });
    const ordered = all.map((e) => [e.blockNumber, e.logIndex] as const);
    expect(ordered).toEqual(
      [...ordered].sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1)),
    );
    const chunked = await collectEvents(coordinator, { fromBlock: startBlock, chunkSize: 3n });
    expect(chunked).toEqual(all);
    const onlyClaims = await collectEvents(coordinator, { fromBlock: startBlock, kinds: ["claimed"] });
    expect(onlyClaims).toEqual(all.filter((e) => e.kind === "claimed"));
  });
});
