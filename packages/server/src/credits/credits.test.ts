import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  collectUsage as collectOnChain,
  creditBalanceOf,
  depositCredits,
  type FlockClient,
  type LocalChain,
  requestCreditWithdrawal,
} from "@flock/chain";
import { ChainError, createLogger, parseFlock } from "@flock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { journaledChainGateway } from "../chain/journaledChainGateway.ts";
import { type AppContext, defaultServerConfig } from "../deps.ts";
import { reconcileWithChain } from "../reconcile/reconcileWithChain.ts";
import { startChainWithGateway } from "../testing/chainStaking.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

/**
 * SPEC §2.4's prepaid balance, coordinator side, over a real anvil chain and real HTTP on 127.0.0.1: deposits made
 * from wallets show in `GET /credits/:account` (indexed from the chain's events), and the coordinator's
 * `collectUsage` moves an epoch's charges into the RewardDistributor once — a retry, a crash between send and mine,
 * a different total and a charge above a balance are each answered without moving anything twice.
 */
describe("usage credits through the coordinator (anvil, real chain gateway, HTTP)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "flock-server-credits-"));
  const clock = manualClock(new Date());
  let chain: LocalChain;
  let gateway: ChainGateway;
  let t: TestApp;
  let baseUrl: string;
  let alice: FlockClient;
  let bob: FlockClient;
  let sponsor: FlockClient;
  let coordinator: FlockClient;
  /** The coordinator's gateway as the app wraps it: every collection journaled in chain_writes. */
  let journaled: ChainGateway;

  beforeAll(async () => {
    ({ chain, gateway } = await startChainWithGateway(join(dataDir, "chain")));
    t = await startTestApp({ chain: gateway, clock, dataDir: join(dataDir, "coordinator") });
    baseUrl = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    alice = chain.clientFor(chain.accounts[3]!);
    bob = chain.clientFor(chain.accounts[4]!);
    sponsor = chain.clientFor(chain.accounts[5]!);
    coordinator = chain.clientFor(chain.roles.coordinator);
    journaled = journaledChainGateway(gateway, t.repos.chainWrites);
  });
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** GET /credits/:account over HTTP, amounts parsed to bigint. */
  const api = {
    credits: {
      async get(account: string) {
        const response = await fetch(`${baseUrl}/credits/${account}`);
        expect(response.status).toBe(200);
        const body = (await response.json()) as Record<string, string | null>;
        return {
          account: body.account,
          deposited: BigInt(body.deposited!),
          withdrawn: BigInt(body.withdrawn!),
          charged: BigInt(body.charged!),
          pendingWithdrawal: BigInt(body.pendingWithdrawal!),
          pendingAvailableAt: body.pendingAvailableAt === null ? null : new Date(body.pendingAvailableAt!),
          onChainBalance: BigInt(body.onChainBalance!),
          uncollected: BigInt(body.uncollected!),
          spendable: BigInt(body.spendable!),
        };
      },
    },
  };
  const address = (client: FlockClient) => client.account.address.toLowerCase() as `0x${string}`;
  const onChain = async (client: FlockClient) =>
    (await creditBalanceOf(alice, { account: client.account.address })).balance;

  async function refused(attempt: Promise<unknown>, code: string): Promise<ChainError> {
    const error = await attempt.then(
      () => {
        throw new Error(`expected ${code}, but it succeeded`);
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe(code);
    expect((error as ChainError).hint?.length ?? 0).toBeGreaterThan(10);
    return error as ChainError;
  }

  it("deposits and a withdrawal request made from wallets show in GET /credits/:account", async () => {
    await depositCredits(alice, { amount: parseFlock("100") });
    await depositCredits(sponsor, { amount: parseFlock("20"), account: alice.account.address });
    const request = await requestCreditWithdrawal(alice, { amount: parseFlock("30") });
    const credit = await api.credits.get(alice.account.address);
    expect(credit).toEqual({
      account: address(alice),
      deposited: parseFlock("120"),
      withdrawn: 0n,
      charged: 0n,
      pendingWithdrawal: parseFlock("30"),
      pendingAvailableAt: new Date(Number(request.availableAt) * 1000),
      onChainBalance: parseFlock("120"),
      // nothing metered yet; the requested withdrawal is no longer spendable
      uncollected: 0n,
      spendable: parseFlock("90"),
    });
    // an account that never deposited reads all zero
    expect(await api.credits.get(bob.account.address)).toMatchObject({ deposited: 0n, onChainBalance: 0n });
  });

  it("a malformed account is refused with ACCOUNT_MALFORMED and a hint", async () => {
    const response = await fetch(`${baseUrl}/credits/0x1234`);
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; hint: string };
    expect(body.code).toBe("ACCOUNT_MALFORMED");
    expect(body.hint).toContain("40 hex digits");
  });

  it("collectUsage moves an epoch's charges into the reward pool once; a retry returns the same transaction", async () => {
    await depositCredits(bob, { amount: parseFlock("5") });
    const pool = await gateway.rewardPool();
    const charges = [
      { account: address(alice), amount: parseFlock("12") },
      { account: address(bob), amount: parseFlock("5") },
    ];
    const first = await journaled.collectUsage({ epoch: 1n, charges });
    expect(first.total).toBe(parseFlock("17"));
    expect(first.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await t.repos.chainWrites.listUnconfirmed()).map((w) => w.key)).toEqual([]);
    expect((await gateway.rewardPool()).unallocated).toBe(pool.unallocated + parseFlock("17"));
    // the settlement job runs again (a crash after the collection, before the epoch was posted): nothing moves
    expect(await journaled.collectUsage({ epoch: 1n, charges })).toEqual(first);
    expect(await gateway.collectedUsage(1n)).toEqual(first);
    expect((await gateway.rewardPool()).unallocated).toBe(pool.unallocated + parseFlock("17"));
    expect(await onChain(alice)).toBe(parseFlock("108"));
    const credit = await api.credits.get(alice.account.address);
    expect(credit).toMatchObject({ charged: parseFlock("12"), onChainBalance: parseFlock("108") });
    // an empty collection sends nothing
    expect(await journaled.collectUsage({ epoch: 9n, charges: [] })).toEqual({
      transactionHash: null,
      total: 0n,
    });
    expect(await gateway.collectedUsage(9n)).toBeNull();
  });

  it("attack: collecting an epoch again with another total is refused (USAGE_COLLECTED_OTHERWISE) and nothing moves", async () => {
    const before = await gateway.rewardPool();
    const error = await refused(
      journaled.collectUsage({ epoch: 1n, charges: [{ account: address(alice), amount: parseFlock("50") }] }),
      "USAGE_COLLECTED_OTHERWISE",
    );
    expect(error.details).toMatchObject({ onChain: { total: parseFlock("17").toString() } });
    expect(await gateway.rewardPool()).toEqual(before);
    expect(await onChain(alice)).toBe(parseFlock("108"));
  });

  it("attack: a charge above an account's credit refuses the whole collection (CREDIT_INSUFFICIENT) and nothing moves", async () => {
    const before = await gateway.rewardPool();
    const error = await refused(
      journaled.collectUsage({
        epoch: 2n,
        charges: [
          { account: address(alice), amount: parseFlock("1") },
          { account: address(bob), amount: parseFlock("1") },
        ],
      }),
      "CREDIT_INSUFFICIENT",
    );
    expect(error.message).toMatch(/has 0 FLOCK of usage credit, less than the 1/);
    expect(await gateway.rewardPool()).toEqual(before);
    expect(await onChain(alice)).toBe(parseFlock("108"));
    expect(await gateway.collectedUsage(2n)).toBeNull();
  });

  it("a collection mined while the coordinator was down is found, not sent again, and its journal entry confirmed", async () => {
    // The coordinator recorded its intent and sent the transaction, then died before the receipt.
    await t.repos.chainWrites.intend({ kind: "collectUsage", key: "epoch:3:usage" });
    const charges = [{ account: address(alice), amount: parseFlock("8") }];
    const mined = await collectOnChain(coordinator, { epoch: 3n, charges });
    const pool = await gateway.rewardPool();
    // the reconciler confirms the journal entry from the chain's UsageCollected event
    const ctx = {
      db: t.db,
      repos: t.repos,
      artifacts: t.artifacts,
      chain: journaled,
      clock,
      config: defaultServerConfig,
      logger: createLogger("credits-test", { level: "silent" }),
    } as unknown as AppContext;
    const report = await reconcileWithChain(ctx, { draftsSeenRegistered: new Set(), startedAt: clock.now() });
    expect(report.differences).toEqual([]);
    // (the refused collection of epoch 2 stays an unconfirmed intent: the chain holds nothing for it)
    expect((await t.repos.chainWrites.listUnconfirmed()).map((w) => w.key)).toEqual(["epoch:2:usage"]);
    // settlement runs again after the restart: the chain says it is done, so the same transaction comes back
    expect(await journaled.collectUsage({ epoch: 3n, charges })).toEqual({
      transactionHash: mined.transactionHash,
      total: parseFlock("8"),
    });
    expect(await gateway.rewardPool()).toEqual(pool);
    expect(await onChain(alice)).toBe(parseFlock("100"));
    expect((await api.credits.get(alice.account.address)).charged).toBe(parseFlock("20"));
  });
});
