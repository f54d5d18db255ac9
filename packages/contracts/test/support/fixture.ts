/** A deployed Flock on a fresh in-process chain, with named, FLOCK-funded participants. */
import { getAddress, type Hex, parseEventLogs, type TransactionReceipt } from "viem";
import { gmFlockAbi } from "../../src/index.ts";
import { confirm, deployFlock, type Flock } from "./deploy.ts";
import { connectNetwork, type Network } from "./network.ts";

export const DAY = 86_400n;
export const FLOCK = 10n ** 18n;

export interface Fixture {
  net: Network;
  flock: Flock;
  wallets: {
    admin: Network["wallets"][number];
    treasury: Network["wallets"][number];
    coordinator: Network["wallets"][number];
    alice: Network["wallets"][number];
    bob: Network["wallets"][number];
    carol: Network["wallets"][number];
    dave: Network["wallets"][number];
    prover: Network["wallets"][number];
  };
}

/** The checksummed address of a wallet, as contracts return it. */
export function addressOf(wallet: { account: { address: Hex } }): Hex {
  return getAddress(wallet.account.address);
}

/** Moves the chain's clock forward by `seconds` and mines a block. */
export async function increaseTime(net: Network, seconds: bigint): Promise<void> {
  await net.testClient.increaseTime({ seconds: Number(seconds) });
  await net.testClient.mine({ blocks: 1 });
}

/** Timestamp of the latest block. */
export async function now(net: Network): Promise<bigint> {
  return (await net.publicClient.getBlock()).timestamp;
}

/**
 * Gives each address `amount` FLOCK. FLOCK only comes from the emission, so this points the emission at
 * the admin for one daily mint, hands the FLOCK out and points it back at the reward distributor.
 */
export async function fundFlock(fx: Fixture, to: readonly Hex[], amount: bigint): Promise<void> {
  const { net, flock, wallets } = fx;
  await confirm(net, flock.emission.write.setRecipient([wallets.admin.account.address]));
  await increaseTime(net, DAY);
  await confirm(net, flock.as(wallets.coordinator).emission.write.mint());
  for (const address of to) await confirm(net, flock.flockToken.write.transfer([address, amount]));
  await confirm(net, flock.emission.write.setRecipient([flock.addresses.RewardDistributor]));
}

/**
 * The network minimum stake the fixture deploys with: one base unit, so each contract's own rules can be
 * tested with small stakes; the floor's own tests raise it with setMinStakeFloor.
 */
export const FIXTURE_STAKE_FLOOR = 1n;

/**
 * Deploys once for the file, funds alice, bob, carol and dave with 100,000 FLOCK each, and isolates every
 * test with an EVM snapshot taken before it and restored after it.
 */
export async function createFixture(): Promise<Fixture> {
  const net = await connectNetwork();
  const flock = await deployFlock(net, { minStakeFloor: FIXTURE_STAKE_FLOOR });
  const [admin, treasury, coordinator, alice, bob, carol, dave, prover] = net.wallets;
  if (!admin || !treasury || !coordinator || !alice || !bob || !carol || !dave || !prover) {
    throw new Error("the test network needs 8 wallets");
  }
  const fx: Fixture = {
    net,
    flock,
    wallets: { admin, treasury, coordinator, alice, bob, carol, dave, prover },
  };
  const users = [alice, bob, carol, dave].map((w) => w.account.address);
  await fundFlock(fx, users, 100_000n * FLOCK);
  return fx;
}

type Wallet = Fixture["wallets"]["alice"];

/** Approves and locks `amount` FLOCK of `wallet` for `days` days; returns the lock id and the lock receipt. */
export async function lockWithReceipt(
  fx: Fixture,
  wallet: Wallet,
  amount: bigint,
  days: number,
): Promise<{ lockId: bigint; receipt: TransactionReceipt }> {
  const as = fx.flock.as(wallet);
  await confirm(fx.net, as.flockToken.write.approve([fx.flock.addresses.GmFlock, amount]));
  const receipt = await confirm(fx.net, as.gmFlock.write.lock([amount, days]));
  const [event] = parseEventLogs({ abi: gmFlockAbi, logs: receipt.logs, eventName: "Locked" });
  if (!event) throw new Error("lock emitted no Locked event");
  return { lockId: event.args.lockId, receipt };
}

/** Locks `amount` FLOCK of `wallet` for `days` days and returns the lock id. */
export async function lockFor(fx: Fixture, wallet: Wallet, amount: bigint, days: number): Promise<bigint> {
  return (await lockWithReceipt(fx, wallet, amount, days)).lockId;
}

/** Approves and stakes `amount` gmFLOCK of `wallet` on `taskId` in `role`, backed by `lockId`. */
export async function stakeFor(
  fx: Fixture,
  wallet: Wallet,
  taskId: bigint,
  role: number,
  amount: bigint,
  lockId: bigint,
): Promise<TransactionReceipt> {
  const as = fx.flock.as(wallet);
  await confirm(fx.net, as.gmFlock.write.approve([fx.flock.addresses.TaskStaking, amount]));
  return confirm(fx.net, as.taskStaking.write.stake([taskId, role, amount, lockId]));
}

/** Creates an open task as the coordinator; staking closes at `submissionDeadline` (its end by default). */
export async function createTask(
  fx: Fixture,
  task: {
    id: bigint;
    minStake: bigint;
    minLockDays: number;
    submissionDeadline?: bigint;
    endTime: bigint;
    disputeWindow: bigint;
  },
): Promise<void> {
  const as = fx.flock.as(fx.wallets.coordinator);
  await confirm(
    fx.net,
    as.taskStaking.write.createTask([
      task.id,
      task.minStake,
      task.minLockDays,
      task.submissionDeadline ?? task.endTime,
      task.endTime,
      task.disputeWindow,
    ]),
  );
}
