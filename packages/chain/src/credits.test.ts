import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localDeploymentSettings } from "@flock/contracts";
import { ChainError, parseFlock } from "@flock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectUsage } from "./actions/collectUsage.ts";
import { creditBalanceOf } from "./actions/creditBalanceOf.ts";
import { depositCredits } from "./actions/depositCredits.ts";
import { getBalances } from "./actions/getBalances.ts";
import { getRewardPool } from "./actions/getRewardPool.ts";
import { isUsageCollected } from "./actions/isUsageCollected.ts";
import { requestCreditWithdrawal } from "./actions/requestCreditWithdrawal.ts";
import { withdrawCredits } from "./actions/withdrawCredits.ts";
import type { FlockClient } from "./client.ts";
import { collectEvents } from "./readEvents.ts";
import { type LocalChain, startLocalChain } from "./startLocalChain.ts";

// One local chain for this file; its tests run in order and share its state (and its clock).
let dataDir: string;
let chain: LocalChain;
let coordinator: FlockClient;
let alice: FlockClient;
let bob: FlockClient;
let sponsor: FlockClient;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flock-credits-"));
  chain = await startLocalChain({ dataDir });
  coordinator = chain.clientFor(chain.roles.coordinator);
  alice = chain.clientFor(chain.accounts[3]!);
  bob = chain.clientFor(chain.accounts[4]!);
  sponsor = chain.clientFor(chain.accounts[5]!);
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function refusal(attempt: Promise<unknown>, code: string, message: RegExp): Promise<ChainError> {
  const error = await attempt.then(
    () => {
      throw new Error(`expected ${code}, but the action succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ChainError);
  expect(error).toMatchObject({ code });
  expect((error as ChainError).message).toMatch(message);
  expect((error as ChainError).hint?.length ?? 0).toBeGreaterThan(10);
  return error as ChainError;
}

async function passTime(seconds: number): Promise<void> {
  await coordinator.publicClient.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await coordinator.publicClient.request({ method: "evm_mine" as never, params: [] as never });
}

const flockOf = async (client: FlockClient) =>
  (await getBalances(client, { account: client.account.address })).flock;

describe("usage credits on a local chain", () => {
  it("deposits fund the caller's balance or a sponsored account's; more than the wallet holds is refused before sending", async () => {
    const before = await flockOf(alice);
    expect(await depositCredits(alice, { amount: parseFlock("100") })).toMatchObject({
      balance: parseFlock("100"),
    });
    expect(
      await depositCredits(sponsor, { amount: parseFlock("20"), account: alice.account.address }),
    ).toMatchObject({
      balance: parseFlock("120"),
    });
    expect(await flockOf(alice)).toBe(before - parseFlock("100"));
    expect(await creditBalanceOf(alice, { account: alice.account.address })).toEqual({
      balance: parseFlock("120"),
      pendingWithdrawal: 0n,
      availableAt: null,
    });
    const held = await flockOf(bob);
    await refusal(
      depositCredits(bob, { amount: held + 1n }),
      "INSUFFICIENT_BALANCE",
      /holds [\d.]+ FLOCK, less than the [\d.]+ to deposit/,
    );
    expect(await flockOf(bob)).toBe(held);
  });

  it("a withdrawal waits for the local delay of one hour; too early says when", async () => {
    const request = await requestCreditWithdrawal(alice, { amount: parseFlock("30") });
    expect(request.availableAt - (await coordinator.publicClient.getBlock()).timestamp).toBe(
      localDeploymentSettings.creditWithdrawalDelay,
    );
    expect(await creditBalanceOf(alice, { account: alice.account.address })).toMatchObject({
      pendingWithdrawal: parseFlock("30"),
      availableAt: request.availableAt,
    });
    const when = new Date(Number(request.availableAt) * 1000).toISOString();
    const early = await refusal(
      withdrawCredits(alice),
      "CREDIT_WITHDRAWAL_NOT_READY",
      /becomes available at/,
    );
    expect(early.message).toContain(when);
    expect(early.hint).toContain(when);
  });

  it("attack: someone else cannot withdraw another account's requested credit; nothing moves", async () => {
    const before = await flockOf(bob);
    await passTime(3_601);
    await refusal(
      withdrawCredits(bob),
      "CREDIT_WITHDRAWAL_NOT_REQUESTED",
      /has no pending withdrawal request/,
    );
    await refusal(
      requestCreditWithdrawal(bob, { amount: parseFlock("30") }),
      "CREDIT_INSUFFICIENT",
      /has 0 FLOCK of usage credit, less than the 30/,
    );
    expect(await flockOf(bob)).toBe(before);
    expect((await creditBalanceOf(alice, { account: alice.account.address })).balance).toBe(
      parseFlock("120"),
    );
    // alice herself withdraws after the delay
    const aliceBefore = await flockOf(alice);
    expect(await withdrawCredits(alice)).toMatchObject({
      amount: parseFlock("30"),
      balance: parseFlock("90"),
    });
    expect(await flockOf(alice)).toBe(aliceBefore + parseFlock("30"));
  });

  it("the coordinator collects an epoch's usage into the reward pool once; a collection by anyone else, above a balance or twice is refused and nothing moves", async () => {
    await depositCredits(bob, { amount: parseFlock("5") });
    const pool = await getRewardPool(coordinator);
    await refusal(
      collectUsage(alice, {
        epoch: 1n,
        charges: [{ account: alice.account.address, amount: parseFlock("1") }],
      }),
      "MISSING_ROLE",
      /does not hold COLLECTOR_ROLE/,
    );
    await refusal(
      collectUsage(coordinator, {
        epoch: 1n,
        charges: [
          { account: alice.account.address, amount: parseFlock("10") },
          { account: bob.account.address, amount: parseFlock("6") },
        ],
      }),
      "CREDIT_INSUFFICIENT",
      /has 5 FLOCK of usage credit, less than the 6/,
    );
    await refusal(
      collectUsage(coordinator, { epoch: 1n, charges: [] }),
      "USAGE_CHARGES_EMPTY",
      /charges nobody/,
    );
    expect(await isUsageCollected(coordinator, { epoch: 1n })).toBe(false);
    expect((await getRewardPool(coordinator)).unallocated).toBe(pool.unallocated);

    const collected = await collectUsage(coordinator, {
      epoch: 1n,
      charges: [
        { account: alice.account.address, amount: parseFlock("10") },
        { account: bob.account.address, amount: parseFlock("5") },
      ],
    });
    expect(collected.total).toBe(parseFlock("15"));
    expect(await isUsageCollected(coordinator, { epoch: 1n })).toBe(true);
    expect((await getRewardPool(coordinator)).unallocated).toBe(pool.unallocated + parseFlock("15"));
    await refusal(
      collectUsage(coordinator, { epoch: 1n, charges: [{ account: alice.account.address, amount: 1n }] }),
      "USAGE_ALREADY_COLLECTED",
      /epoch 1 was already collected/,
    );
    expect((await creditBalanceOf(alice, { account: alice.account.address })).balance).toBe(parseFlock("80"));
    expect((await creditBalanceOf(bob, { account: bob.account.address })).balance).toBe(0n);
  });

  it("readEvents yields every credit event an indexer needs, in chain order", async () => {
    const events = await collectEvents(alice, {
      fromBlock: 0n,
      kinds: [
        "creditDeposited",
        "creditWithdrawalRequested",
        "creditWithdrawn",
        "usageCharged",
        "usageCollected",
      ],
    });
    expect(events.map((e) => e.kind)).toEqual([
      "creditDeposited",
      "creditDeposited",
      "creditWithdrawalRequested",
      "creditWithdrawn",
      "creditDeposited",
      "usageCharged",
      "usageCharged",
      "usageCollected",
    ]);
    const [sponsored] = events.filter((e) => e.kind === "creditDeposited").slice(1);
    expect(sponsored?.args).toMatchObject({
      account: alice.account.address,
      from: sponsor.account.address,
      amount: parseFlock("20"),
    });
    expect(events.at(-1)).toMatchObject({
      contract: "UsageCredits",
      args: { epoch: 1n, total: parseFlock("15") },
    });
  });
});
