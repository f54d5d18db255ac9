import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultDeploymentSettings } from "@flock/contracts";
import { ChainError, parseFlock } from "@flock/core";
import { buildRewardTree, gmForLock, redemption, rewardProof, slash as slashRule } from "@flock/protocol";
import { keccak256, toHex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approve } from "./actions/approve.ts";
import { claimRewards } from "./actions/claimRewards.ts";
import { createTask } from "./actions/createTask.ts";
import { delegate } from "./actions/delegate.ts";
import { getBalances } from "./actions/getBalances.ts";
import { getLock } from "./actions/getLock.ts";
import { getRewardPool } from "./actions/getRewardPool.ts";
import { getStake } from "./actions/getStake.ts";
import { lockFlock } from "./actions/lockFlock.ts";
import { mintEmission } from "./actions/mintEmission.ts";
import { postEpochRoot } from "./actions/postEpochRoot.ts";
import { setSigma } from "./actions/setSigma.ts";
import { setTaskStatus } from "./actions/setTaskStatus.ts";
import { slash } from "./actions/slash.ts";
import { stake } from "./actions/stake.ts";
import { transferFlock } from "./actions/transferFlock.ts";
import { undelegate } from "./actions/undelegate.ts";
import { unlock } from "./actions/unlock.ts";
import { withdrawStake } from "./actions/withdrawStake.ts";
import { createFlockClient, type FlockClient } from "./client.ts";
import { type LocalChain, startLocalChain } from "./startLocalChain.ts";

// One local chain for this file; its tests run in order and share its state (and its clock).
let dataDir: string;
let chain: LocalChain;
let coordinator: FlockClient;
let alice: FlockClient;
let bob: FlockClient;
let carol: FlockClient;
const HOUR = 3600;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flock-actions-"));
  // A 1% claim fee, to see fees split off claims.
  chain = await startLocalChain({ dataDir, settings: { claimFeeBps: 100 } });
  coordinator = chain.clientFor(chain.roles.coordinator);
  alice = chain.clientFor(chain.accounts[3]!);
  bob = chain.clientFor(chain.accounts[4]!);
  carol = chain.clientFor(chain.accounts[5]!);
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Asserts a ChainError with `code` whose message names the refused action and which carries a hint. */
async function expectRefusal(
  attempt: Promise<unknown>,
  code: string,
  messagePart: RegExp,
): Promise<ChainError> {
  const error = await attempt.then(
    () => {
      throw new Error(`expected ${code}, but the action succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  const chainError = error as ChainError;
  expect(chainError.code).toBe(code);
  expect(chainError.message).toMatch(messagePart);
  expect(chainError.hint?.length ?? 0).toBeGreaterThan(10);
  return chainError;
}

async function lockedGm(client: FlockClient, amount: bigint, days: number): Promise<bigint> {
  await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
  return (await lockFlock(client, { amount, days })).lockId;
}

async function now(): Promise<bigint> {
  return (await coordinator.publicClient.getBlock()).timestamp;
}

describe("FlockToken actions", () => {
  it("transfer moves FLOCK; sending more than the balance is refused", async () => {
    const before = await getBalances(bob, { account: bob.account.address });
    await transferFlock(alice, { to: bob.account.address, amount: parseFlock("5") });
    expect((await getBalances(bob, { account: bob.account.address })).flock).toBe(
      before.flock + parseFlock("5"),
    );
    const error = await expectRefusal(
      transferFlock(alice, { to: bob.account.address, amount: parseFlock("5000000") }),
      "INSUFFICIENT_BALANCE",
      /^transfer FLOCK was refused: 0x[0-9a-fA-F]{40} holds 99995 tokens but 5000000 are needed$/,
    );
    expect(error.details?.errorName).toBe("ERC20InsufficientBalance");
  });
});

describe("GmFlock actions", () => {
  it("locking mints the gmFLOCK of the shared formula for every duration class", async () => {
    for (const days of [0, 30, 200, 365]) {
      const amount = parseFlock("123.456789");
      await approve(alice, { token: "FLOCK", spender: "GmFlock", amount });
      const before = (await getBalances(alice, { account: alice.account.address })).gmFlock;
      const lock = await lockFlock(alice, { amount, days });
      expect(lock.gmAmount).toBe(gmForLock(amount, days));
      expect((await getBalances(alice, { account: alice.account.address })).gmFlock).toBe(
        before + lock.gmAmount,
      );
      expect(lock.unlockTime).toBe((await now()) + BigInt(days * 86_400));
      expect(await getLock(alice, { lockId: lock.lockId })).toEqual({
        owner: alice.account.address,
        amount,
        gmAmount: lock.gmAmount,
        durationDays: days,
        unlockTime: lock.unlockTime,
        unlocked: false,
      });
    }
  });

  it("locking without an approval names GmFlock as the spender to approve", async () => {
    const error = await expectRefusal(
      lockFlock(carol, { amount: parseFlock("1"), days: 30 }),
      "ALLOWANCE_TOO_LOW",
      /^lock FLOCK was refused: GmFlock \(0x[0-9a-fA-F]{40}\) may spend 0/,
    );
    expect(error.hint).toContain('spender: "GmFlock"');
  });

  it("a lock over 365 days is refused", async () => {
    await approve(alice, { token: "FLOCK", spender: "GmFlock", amount: parseFlock("1") });
    await expectRefusal(
      lockFlock(alice, { amount: parseFlock("1"), days: 366 }),
      "LOCK_TOO_LONG",
      /366 days exceeds the maximum of 365/,
    );
  });

  it("unlocking an expired lock returns FLOCK minus the 5% fee; an unexpired one is refused", async () => {
    const amount = parseFlock("200");
    const shortLock = await lockedGm(bob, amount, 0);
    const longLock = await lockedGm(bob, amount, 30);
    const before = await getBalances(bob, { account: bob.account.address });
    const result = await unlock(bob, { lockId: shortLock });
    expect(result).toMatchObject({
      gmBurned: amount,
      flockReturned: redemption(amount).returned,
      redemptionFee: redemption(amount).fee,
      forfeited: 0n,
    });
    const after = await getBalances(bob, { account: bob.account.address });
    expect(after.flock - before.flock).toBe(parseFlock("190"));
    await expectRefusal(
      unlock(bob, { lockId: longLock }),
      "LOCK_NOT_EXPIRED",
      /^unlock lock \d+ was refused: lock \d+ runs until 20\d\d-/,
    );
    await expectRefusal(unlock(bob, { lockId: shortLock }), "LOCK_ALREADY_UNLOCKED", /already unlocked/);
    expect((await getLock(bob, { lockId: shortLock })).unlocked).toBe(true);
    await expect(getLock(bob, { lockId: 10_000n })).rejects.toMatchObject({ code: "LOCK_NOT_FOUND" });
  });
});

describe("TaskStaking actions", () => {
  const taskId = 7n;
  let aliceLock: bigint;

  it("only the coordinator creates tasks", async () => {
    const end = (await now()) + 10n * 86_400n;
    await expectRefusal(
      createTask(alice, {
        taskId,
        minStake: parseFlock("3000"),
        minLockDays: 30,
        submissionDeadline: end,
        endTime: end,
        disputeWindowSec: 3600n,
      }),
      "MISSING_ROLE",
      /does not hold COORDINATOR_ROLE/,
    );
    await createTask(coordinator, {
      taskId,
      minStake: parseFlock("3000"),
      minLockDays: 30,
      submissionDeadline: end,
      endTime: end,
      disputeWindowSec: 3600n,
    });
    await expectRefusal(
      createTask(coordinator, {
        taskId,
        minStake: 0n,
        minLockDays: 0,
        submissionDeadline: end,
        endTime: end,
        disputeWindowSec: 0n,
      }),
      "TASK_EXISTS",
      /task 7 already exists/,
    );
  });

  it("a participant stakes as trainer but not also as validator on the same task", async () => {
    aliceLock = await lockedGm(alice, parseFlock("5000"), 60);
    await approve(alice, { token: "gmFLOCK", spender: "TaskStaking", amount: parseFlock("5000") });
    await expectRefusal(
      stake(alice, { taskId, role: "trainer", amount: parseFlock("100"), lockId: aliceLock }),
      "STAKE_BELOW_MINIMUM",
      /below its minimum of 3000/,
    );
    const staked = await stake(alice, {
      taskId,
      role: "trainer",
      amount: parseFlock("4000"),
      lockId: aliceLock,
    });
    expect(staked.totalStake).toBe(parseFlock("4000"));
    expect(await getStake(bob, { taskId, account: alice.account.address })).toEqual({
      role: "trainer",
      amount: parseFlock("4000"),
    });
    expect(await getStake(bob, { taskId, account: bob.account.address })).toEqual({ role: null, amount: 0n });
    await expectRefusal(
      stake(alice, { taskId, role: "validator", amount: parseFlock("100"), lockId: aliceLock }),
      "STAKE_ROLE_CONFLICT",
      /already stakes on task 7 as trainer/,
    );
  });

  it("stakes come back only after the task closes and its dispute window passes", async () => {
    await expectRefusal(withdrawStake(alice, { taskId }), "TASK_NOT_CLOSED", /task 7 is open/);
    await setTaskStatus(coordinator, { taskId, status: "paused" });
    await setTaskStatus(coordinator, { taskId, status: "closed" });
    await expectRefusal(
      setTaskStatus(coordinator, { taskId, status: "open" }),
      "TASK_STATUS_TRANSITION_INVALID",
      /from closed to open/,
    );
    await expectRefusal(
      withdrawStake(alice, { taskId }),
      "DISPUTE_WINDOW_OPEN",
      /dispute window of task 7 lasts until/,
    );
    await chain.advanceTime(HOUR);
    const before = await getBalances(alice, { account: alice.account.address });
    expect((await withdrawStake(alice, { taskId })).amount).toBe(parseFlock("4000"));
    expect((await getBalances(alice, { account: alice.account.address })).gmFlock).toBe(
      before.gmFlock + parseFlock("4000"),
    );
    await expectRefusal(withdrawStake(alice, { taskId }), "NOTHING_STAKED", /has no stake on task 7/);
  });
});

describe("DelegationPools actions", () => {
  it("a participant opens a pool with σ in bounds; changes wait for the cooldown", async () => {
    await expectRefusal(
      setSigma(bob, { sigmaBps: 1000 }),
      "SIGMA_OUT_OF_RANGE",
      /σ = 1000 bps is outside \[5000, 10000\]/,
    );
    await setSigma(bob, { sigmaBps: 8000 });
    await expectRefusal(setSigma(bob, { sigmaBps: 7000 }), "SIGMA_COOLDOWN", /next change is allowed at/);
  });

  it("delegators delegate to open pools and undelegate at most what they delegated", async () => {
    await lockedGm(carol, parseFlock("1000"), 30);
    await approve(carol, { token: "gmFLOCK", spender: "DelegationPools", amount: parseFlock("1000") });
    await expectRefusal(
      delegate(carol, { participant: chain.accounts[8]!.address, amount: parseFlock("1") }),
      "POOL_NOT_OPEN",
      /has no delegation pool/,
    );
    const first = await delegate(carol, { participant: bob.account.address, amount: parseFlock("600") });
    expect(first).toMatchObject({ delegation: parseFlock("600"), poolTotal: parseFlock("600") });
    await expectRefusal(
      undelegate(carol, { participant: bob.account.address, amount: parseFlock("601") }),
      "DELEGATION_TOO_SMALL",
      /delegated 600 gmFLOCK/,
    );
    const back = await undelegate(carol, { participant: bob.account.address, amount: parseFlock("100") });
    expect(back).toMatchObject({ delegation: parseFlock("500"), poolTotal: parseFlock("500") });
    expect((await getBalances(carol, { account: carol.account.address })).gmFlock).toBe(parseFlock("500"));
  });
});

describe("Slashing actions", () => {
  it("the slasher takes a fraction of a stake, 10% to the prover; evidence is used once", async () => {
    const taskId = 8n;
    await createTask(coordinator, {
      taskId,
      minStake: parseFlock("100"),
      minLockDays: 0,
      submissionDeadline: (await now()) + 86_400n,
      endTime: (await now()) + 86_400n,
      disputeWindowSec: 0n,
    });
    const lockId = await lockedGm(bob, parseFlock("1000"), 0);
    await approve(bob, { token: "gmFLOCK", spender: "TaskStaking", amount: parseFlock("1000") });
    await stake(bob, { taskId, role: "validator", amount: parseFlock("1000"), lockId });
    const evidenceHash = keccak256(toHex("bob copied a submission"));
    const prover = chain.accounts[9]!.address;
    await expectRefusal(
      slash(alice, { taskId, account: bob.account.address, fractionBps: 2500, evidenceHash, prover }),
      "MISSING_ROLE",
      /does not hold SLASHER_ROLE/,
    );
    const result = await slash(coordinator, {
      taskId,
      account: bob.account.address,
      fractionBps: 2500,
      evidenceHash,
      prover,
    });
    const expected = slashRule(parseFlock("1000"), 2500);
    expect(result).toMatchObject({
      amount: expected.slashed,
      proverShare: expected.toProver,
      treasuryShare: expected.toPool,
    });
    expect((await getBalances(coordinator, { account: prover })).gmFlock).toBe(expected.toProver);
    await expectRefusal(
      slash(coordinator, { taskId, account: bob.account.address, fractionBps: 2500, evidenceHash, prover }),
      "EVIDENCE_ALREADY_USED",
      /was already used for a slash/,
    );
  });
});

describe("RewardDistributor and Emission actions", () => {
  const epoch = 1n;
  const noVesting = buildRewardTree(epoch, []);
  const rewards = () =>
    buildRewardTree(epoch, [
      { account: alice.account.address, amount: parseFlock("40") },
      { account: carol.account.address, amount: parseFlock("60") },
    ]);
  const reportHash = keccak256(toHex("report of epoch 1"));
  // fundDevAccounts sent the first mint's 3·E0/10 that no participant got to the distributor
  const seeded = (defaultDeploymentSettings.initialEmission * 3n) / 10n;

  it("posting reserves the epoch's total out of the unallocated FLOCK; more than that is refused with the figures", async () => {
    expect(await getRewardPool(alice)).toEqual({
      balance: seeded,
      outstanding: 0n,
      pooled: 0n,
      unallocated: seeded,
    });
    const tree = rewards();
    const { amount, proof } = rewardProof(tree, alice.account.address);
    await expectRefusal(
      claimRewards(alice, { epoch, tree: "liquid", amount, proof }),
      "EPOCH_NOT_POSTED",
      /epoch 1 has no posted roots/,
    );
    const roots = { epoch, liquidRoot: tree.root, vestingRoot: noVesting.root, reportHash };
    await expectRefusal(
      postEpochRoot(alice, { ...roots, total: parseFlock("100") }),
      "MISSING_ROLE",
      /COORDINATOR_ROLE/,
    );
    const refused = await expectRefusal(
      postEpochRoot(coordinator, { ...roots, total: seeded + 1n }),
      "REWARDS_INSUFFICIENT",
      /^post the roots of epoch 1 was refused: the epoch's emission-paid rewards total 300000\.000000000000000001 FLOCK but the RewardDistributor has only 300000 FLOCK of emission that earlier epochs have not already reserved$/,
    );
    expect(refused.hint).toContain("mintEmission");
    expect(refused.details).toMatchObject({
      errorName: "InsufficientRewards",
      args: [String(seeded + 1n), String(seeded)],
    });
    await expectRefusal(
      postEpochRoot(coordinator, { ...roots, total: 0n }),
      "EPOCH_TOTAL_MISMATCH",
      /epoch 1 cannot be posted with a total of 0 FLOCK/,
    );
    await expect(postEpochRoot(coordinator, { ...roots, total: -1n })).rejects.toMatchObject({
      code: "AMOUNT_NEGATIVE",
    });

    await postEpochRoot(coordinator, { ...roots, total: parseFlock("100") });
    expect(await getRewardPool(alice)).toEqual({
      balance: seeded,
      outstanding: parseFlock("100"),
      pooled: 0n,
      unallocated: seeded - parseFlock("100"),
    });
    await expectRefusal(
      postEpochRoot(coordinator, { ...roots, total: parseFlock("100") }),
      "EPOCH_ALREADY_POSTED",
      /epoch 1 already has its roots posted/,
    );
    await expectRefusal(
      claimRewards(alice, { epoch, tree: "vesting", amount, proof }),
      "REWARD_TREE_EMPTY",
      /vesting tree of epoch 1 is empty/,
    );
    await expectRefusal(
      claimRewards(alice, { epoch, tree: "liquid", amount: amount + 1n, proof }),
      "REWARD_PROOF_INVALID",
      /the proof does not show/,
    );
  });

  it("the daily emission mints to the distributor at most every 12 hours, all of it unallocated", async () => {
    await expectRefusal(mintEmission(coordinator), "EMISSION_TOO_SOON", /next mint is allowed at/);
    await chain.advanceTime(12 * HOUR);
    const minted = await mintEmission(coordinator);
    expect(minted).toMatchObject({
      mintIndex: 1n,
      amount: parseFlock("1000000"),
      recipient: chain.addresses.RewardDistributor,
    });
    await expectRefusal(mintEmission(coordinator), "EMISSION_TOO_SOON", /less than 12 hours ago/);
    expect(await getRewardPool(alice)).toEqual({
      balance: seeded + parseFlock("1000000"),
      outstanding: parseFlock("100"),
      pooled: 0n,
      unallocated: seeded + parseFlock("1000000") - parseFlock("100"),
    });
  });

  it("a valid proof pays the account once, minus the claim fee, and the whole gross leaves the outstanding", async () => {
    const claim = rewardProof(rewards(), carol.account.address);
    const before = await getBalances(carol, { account: carol.account.address });
    const treasuryBefore = await getBalances(carol, { account: chain.roles.treasury.address });
    const poolBefore = await getRewardPool(carol);
    const paid = await claimRewards(alice, {
      epoch,
      tree: "liquid",
      account: carol.account.address,
      ...claim,
    });
    // fee = floor(60 · 100 / 10000) = 0.6 FLOCK, to the treasury
    expect(paid).toMatchObject({
      gross: parseFlock("60"),
      fee: parseFlock("0.6"),
      paid: parseFlock("59.4"),
      totalClaimed: parseFlock("60"),
    });
    expect((await getBalances(carol, { account: carol.account.address })).flock).toBe(
      before.flock + parseFlock("59.4"),
    );
    expect((await getBalances(carol, { account: chain.roles.treasury.address })).flock).toBe(
      treasuryBefore.flock + parseFlock("0.6"),
    );
    expect(await getRewardPool(carol)).toEqual({
      balance: poolBefore.balance - parseFlock("60"),
      outstanding: poolBefore.outstanding - parseFlock("60"),
      pooled: 0n,
      unallocated: poolBefore.unallocated,
    });
    await expectRefusal(
      claimRewards(carol, { epoch, tree: "liquid", ...claim }),
      "NOTHING_TO_CLAIM",
      /nothing more to claim/,
    );
  });

  it("an epoch whose leaves sum above its total stops paying at the total; the pool can be read as it was before the post", async () => {
    const wrong = buildRewardTree(2n, [
      { account: alice.account.address, amount: parseFlock("40") },
      { account: bob.account.address, amount: parseFlock("60") },
    ]);
    const before = await getRewardPool(bob);
    const posted = await postEpochRoot(coordinator, {
      epoch: 2n,
      liquidRoot: wrong.root,
      vestingRoot: buildRewardTree(2n, []).root,
      reportHash: keccak256(toHex("report of epoch 2")),
      total: parseFlock("50"),
    });
    expect(await getRewardPool(bob, { blockNumber: posted.blockNumber - 1n })).toEqual(before);
    expect(await getRewardPool(bob, { blockNumber: posted.blockNumber })).toEqual({
      balance: before.balance,
      outstanding: before.outstanding + parseFlock("50"),
      pooled: 0n,
      unallocated: before.unallocated - parseFlock("50"),
    });
    await claimRewards(alice, { epoch: 2n, tree: "liquid", ...rewardProof(wrong, alice.account.address) });
    const refused = await expectRefusal(
      claimRewards(bob, { epoch: 2n, tree: "liquid", ...rewardProof(wrong, bob.account.address) }),
      "EPOCH_OVERCLAIMED",
      /^claim liquid rewards of epoch 2 was refused: this claim would take epoch 2 past the 50 FLOCK posted as its total$/,
    );
    expect(refused.hint).toContain("flock audit 2");
    // epoch 1's remaining 40 for alice is untouched by epoch 2's bad root
    const paid = await claimRewards(alice, {
      epoch,
      tree: "liquid",
      ...rewardProof(rewards(), alice.account.address),
    });
    expect(paid.gross).toBe(parseFlock("40"));
    expect((await getRewardPool(bob)).outstanding).toBe(parseFlock("10"));
  });
});

describe("transport failures", () => {
  it("a node that does not answer is reported as unreachable, not as a refusal", async () => {
    const offline = createFlockClient({
      rpcUrl: "http://127.0.0.1:9",
      chainId: 31337,
      addresses: chain.addresses,
      privateKey: chain.accounts[3]!.privateKey,
    });
    await expectRefusal(
      lockFlock(offline, { amount: 1n, days: 0 }),
      "CHAIN_UNREACHABLE",
      /^lock FLOCK failed: the chain node did not answer$/,
    );
  });
});
