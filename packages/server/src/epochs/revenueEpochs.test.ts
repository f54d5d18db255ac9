import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approve,
  claimRewards,
  collectUsage as collectOnChain,
  creditBalanceOf,
  delegate,
  depositCredits,
  type FlockClient,
  getBalances,
  type LocalChain,
  lockFlock,
  setSigma,
} from "@flock/chain";
import { ChainError, ConflictError, contentId, createLogger, parseFlock, type wire } from "@flock/core";
import { computeEpoch, epochInputsFromReport } from "@flock/protocol";
import { UsageSettlementRepository } from "@flock/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChainGateway } from "../chain/chainGateway.ts";
import { journaledChainGateway } from "../chain/journaledChainGateway.ts";
import { type AppContext, defaultServerConfig } from "../deps.ts";
import { createStakeIndexer } from "../stakes/stakeIndexer.ts";
import { startChainWithGateway } from "../testing/chainStaking.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { closeRevenueEpochIfDue } from "./epochJobs.ts";
import { UNATTRIBUTED_REVENUE } from "./revenueInputs.ts";
import { closeEpoch } from "./settleEpoch.ts";

/**
 * SPEC §2.4 revenue to the lineage, over a real anvil chain, PGlite and HTTP on 127.0.0.1: payers deposit prepaid
 * credit, their calls to a registered Arena winner are metered, and the next epoch collects the charges on-chain,
 * splits them over the winner's lineage in the epoch report and trees, and the trainer, a validator and the
 * trainer's delegator each claim their revenue from the RewardDistributor. Attacks: a second collect of the same
 * epoch is refused by the chain, usage already collected is never billed again, and a stale settlement that
 * would collect usage twice is refused.
 */
describe("usage revenue settles to the model's lineage (anvil, PGlite, HTTP)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "flock-server-revenue-"));
  const clock = manualClock(new Date());
  let chain: LocalChain;
  let gateway: ChainGateway;
  let t: TestApp;
  let ctx: AppContext;
  let baseUrl: string;
  let trainer: FlockClient;
  let validator: FlockClient;
  let delegator: FlockClient;
  let alice: FlockClient;
  let bob: FlockClient;
  let modelName: string;

  const address = (client: FlockClient) => client.account.address.toLowerCase() as `0x${string}`;
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`);
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };
  const meter = (
    payer: FlockClient,
    cost: bigint,
    model: string | null = modelName,
    billing: "balance" | "plan" | "subscription" = model === null ? "subscription" : "balance",
  ) =>
    t.repos.usage.record({
      keyId: null,
      account: address(payer),
      model,
      modelId: null,
      promptTokens: 10,
      completionTokens: 20,
      cost,
      billing,
      createdAt: clock.now(),
    });

  beforeAll(async () => {
    ({ chain, gateway } = await startChainWithGateway(join(dataDir, "chain")));
    t = await startTestApp({ chain: gateway, clock, dataDir: join(dataDir, "coordinator") });
    baseUrl = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    [trainer, validator, delegator, alice, bob] = [4, 5, 6, 7, 8].map((i) =>
      chain.clientFor(chain.accounts[i]!),
    ) as [FlockClient, FlockClient, FlockClient, FlockClient, FlockClient];
    ctx = {
      db: t.db,
      repos: t.repos,
      artifacts: t.artifacts,
      chain: journaledChainGateway(gateway, t.repos.chainWrites),
      clock,
      config: defaultServerConfig,
      logger: createLogger("revenue-test", { level: "silent" }),
    } as unknown as AppContext;

    // The Arena winner in the registry: its task, trainer and validator.
    const task = await t.repos.tasks.create({
      title: "instruction following",
      description: "d",
      type: "lm-lora",
      baseModel: contentId("base"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: contentId("train"),
      validationCommitment: contentId("hidden"),
      submissionDeadline: new Date(clock.now().getTime() - 7200_000),
      endTime: new Date(clock.now().getTime() - 3600_000),
      rewardWeight: 1n,
      minStake: 0n,
      minLockDays: 0,
      creator: chain.roles.admin.address,
    });
    await t.indexStake(task.id, address(trainer), "trainer", parseFlock("100"));
    await t.indexStake(task.id, address(validator), "validator", parseFlock("100"));
    const model = await t.repos.models.register({
      name: "flock/t1-instruction-following",
      kind: "arena-lora",
      taskId: task.id,
      baseModel: "flock/base",
      artifact: contentId("winner adapter"),
      license: "apache-2.0",
      metrics: { bpc: 1.25 },
      lineage: {
        task: { id: task.id, title: task.title, type: task.type, kind: "arena" },
        baseModel: "flock/base",
        trainers: [address(trainer)],
        validators: [{ account: address(validator), score: "1250000000000000000" }],
        consensusScore: "1250000000000000000",
        datasets: [],
      },
    });
    modelName = model.name;

    // The trainer opens its pool (σ 60%); the delegator delegates 100 gmFLOCK to it.
    await setSigma(trainer, { sigmaBps: 6000 });
    await approve(delegator, { token: "FLOCK", spender: "GmFlock", amount: parseFlock("100") });
    const { gmAmount } = await lockFlock(delegator, { amount: parseFlock("100"), days: 0 });
    await approve(delegator, { token: "gmFLOCK", spender: "DelegationPools", amount: gmAmount });
    await delegate(delegator, { participant: trainer.account.address, amount: gmAmount });
    await createStakeIndexer(ctx).sync();

    // Payers fund their prepaid credit on-chain.
    await depositCredits(alice, { amount: parseFlock("50") });
    await depositCredits(bob, { amount: parseFlock("50") });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the next epoch collects the charges, pays the lineage in its trees, and each claims on-chain", async () => {
    await meter(alice, parseFlock("6"));
    await meter(alice, parseFlock("4"));
    await meter(bob, parseFlock("10"));
    // a subscription fee with no plan call this epoch goes to the treasury (unattributed)
    await meter(bob, parseFlock("1"), null);
    clock.advance(60_000);
    const poolBefore = await gateway.rewardPool();

    const epoch = await closeEpoch(ctx);
    expect(epoch).not.toBeNull();
    expect(epoch!.tasks).toEqual([]);
    expect(epoch!.txHash).not.toBeNull();

    // On-chain: the charges left the payers' credit and the revenue is promised by the posted root.
    expect((await creditBalanceOf(alice, { account: alice.account.address })).balance).toBe(parseFlock("40"));
    expect((await creditBalanceOf(bob, { account: bob.account.address })).balance).toBe(parseFlock("39"));
    const poolAfter = await gateway.rewardPool();
    expect(poolAfter.balance - poolBefore.balance).toBe(parseFlock("21"));

    // The published usage and the report agree; the report recomputes byte for byte.
    const usage = await get<wire.EpochUsage>(`/epochs/${epoch!.number}/usage`);
    expect(usage.total).toBe(parseFlock("21").toString());
    expect(usage.byAccount).toEqual(
      [
        { account: address(alice), amount: parseFlock("10").toString(), records: 2 },
        { account: address(bob), amount: parseFlock("11").toString(), records: 2 },
      ].sort((a, b) => (a.account < b.account ? -1 : 1)),
    );
    const reportText = await (await fetch(`${baseUrl}/epochs/${epoch!.number}/report`)).text();
    const report = JSON.parse(reportText) as Record<string, unknown>;
    const recomputed = computeEpoch(epochInputsFromReport(report));
    expect(recomputed.reportHash).toBe(epoch!.reportHash);
    const models = recomputed.stages.revenue;
    expect(models.map((m) => [m.model, m.revenue])).toEqual([
      [`${modelName}@1`, parseFlock("20")],
      [UNATTRIBUTED_REVENUE, parseFlock("1")],
    ]);
    const winner = models[0]!;
    // 10% treasury; no FL contributors or data miners: trainers 5/7 and validators 2/7 of the rest.
    expect(winner.treasury).toBe(parseFlock("2"));
    expect(winner.roles.trainers).toBe((parseFlock("18") * 5n) / 7n);
    const trainerRow = winner.payouts.find((p) => p.role === "trainers")!;
    expect(trainerRow.sigmaBps).toBe(6000n);
    expect(trainerRow.pool).toBeGreaterThan(0n);

    // Each claims its revenue from the RewardDistributor with the coordinator's proof.
    for (const [client, expected] of [
      [trainer, trainerRow.kept],
      [validator, winner.roles.validators],
      [delegator, trainerRow.delegators![0]!.reward],
    ] as const) {
      const proofs = await get<wire.EpochProofs>(`/epochs/${epoch!.number}/proofs/${address(client)}`);
      expect(BigInt(proofs.liquid!.amount)).toBe(expected);
      expect(proofs.vesting).toBeNull();
      const before = (await getBalances(client, { account: client.account.address })).flock;
      const claim = await claimRewards(client, {
        epoch: BigInt(epoch!.number),
        tree: "liquid",
        amount: expected,
        proof: proofs.liquid!.proof,
      });
      const after = (await getBalances(client, { account: client.account.address })).flock;
      expect(claim.gross).toBe(expected);
      expect(after - before).toBe(claim.paid);
    }
  }, 120_000);

  it("attack: a second collect of the same epoch is refused by the chain, nothing moves", async () => {
    const epoch = (await t.repos.epochs.latest())!;
    const pool = await gateway.rewardPool();
    const coordinator = chain.clientFor(chain.roles.coordinator);
    const error = await collectOnChain(coordinator, {
      epoch: BigInt(epoch.number),
      charges: [{ account: address(alice), amount: parseFlock("1") }],
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ChainError);
    expect((error as ChainError).code).toBe("USAGE_ALREADY_COLLECTED");
    expect(await gateway.rewardPool()).toEqual(pool);
    expect((await creditBalanceOf(alice, { account: alice.account.address })).balance).toBe(parseFlock("40"));
  }, 60_000);

  it("attack: usage already collected is never billed twice; only new usage goes to the next epoch", async () => {
    // Nothing pending: no epoch closes, nothing is collected again.
    expect(await closeEpoch(ctx)).toBeNull();
    // A stale settlement (read before another collected it) is refused and marks nothing.
    await meter(alice, parseFlock("2"));
    clock.advance(60_000);
    const settlement = new UsageSettlementRepository(t.db);
    const stale = await settlement.uncollected(clock.now());
    expect(stale.total).toBe(parseFlock("2"));
    const next = await closeEpoch(ctx);
    expect(next).not.toBeNull();
    await expect(settlement.markCollected(next!.number + 1, stale)).rejects.toBeInstanceOf(ConflictError);
    const usage = await get<wire.EpochUsage>(`/epochs/${next!.number}/usage`);
    expect(usage.byAccount).toEqual([
      { account: address(alice), amount: parseFlock("2").toString(), records: 1 },
    ]);
    expect((await creditBalanceOf(alice, { account: alice.account.address })).balance).toBe(parseFlock("38"));
    expect(await closeEpoch(ctx)).toBeNull();
  }, 120_000);

  it("a subscription fee is spread over the models its plan's calls used, and pays their lineage", async () => {
    await meter(bob, 0n, modelName, "plan");
    await meter(bob, parseFlock("3"), null);
    clock.advance(60_000);
    // The epoch period (a day by default) has not ended since the last epoch: revenue alone waits for it.
    expect(await closeRevenueEpochIfDue(ctx)).toBeNull();
    const epoch = await closeRevenueEpochIfDue({ ...ctx, config: { ...ctx.config, epochLengthMs: 0 } });
    const report = JSON.parse(await (await fetch(`${baseUrl}/epochs/${epoch!.number}/report`)).text());
    const recomputed = computeEpoch(epochInputsFromReport(report));
    expect(recomputed.reportHash).toBe(epoch!.reportHash);
    expect(recomputed.stages.revenue.map((m) => [m.model, m.revenue])).toEqual([
      [`${modelName}@1`, parseFlock("3")],
    ]);
    const usage = await get<wire.EpochUsage>(`/epochs/${epoch!.number}/usage`);
    expect(usage.byModel.map((m) => [m.model, m.amount, m.records])).toEqual([
      [modelName, "0", 1],
      [null, parseFlock("3").toString(), 1],
    ]);
  }, 120_000);

  it("attack: a payer whose on-chain credit cannot cover its charge is left out; its usage waits, the rest settles", async () => {
    const charlie = chain.clientFor(chain.accounts[9]!);
    await meter(charlie, parseFlock("1"));
    await meter(alice, parseFlock("1"));
    // a call to a model the registry does not know earns for the treasury
    await meter(alice, parseFlock("1"), "flock/not-registered");
    clock.advance(60_000);
    const now = { ...ctx, config: { ...ctx.config, epochLengthMs: 0 } };
    const epoch = await closeRevenueEpochIfDue(now);
    expect(epoch!.txHash).not.toBeNull();
    const report = JSON.parse(await (await fetch(`${baseUrl}/epochs/${epoch!.number}/report`)).text());
    expect(
      computeEpoch(epochInputsFromReport(report)).stages.revenue.map((m) => [m.model, m.revenue]),
    ).toEqual([
      [`${modelName}@1`, parseFlock("1")],
      [UNATTRIBUTED_REVENUE, parseFlock("1")],
    ]);
    const usage = await get<wire.EpochUsage>(`/epochs/${epoch!.number}/usage`);
    expect(usage.byAccount.map((a) => a.account)).toEqual([address(alice)]);
    expect(await t.repos.usage.uncollectedOf(address(charlie))).toBe(parseFlock("1"));
    // Once its credit covers the charge, the next epoch collects it.
    await depositCredits(charlie, { amount: parseFlock("5") });
    clock.advance(60_000);
    const next = await closeRevenueEpochIfDue(now);
    const later = await get<wire.EpochUsage>(`/epochs/${next!.number}/usage`);
    expect(later.byAccount).toEqual([
      { account: address(charlie), amount: parseFlock("1").toString(), records: 1 },
    ]);
    expect((await creditBalanceOf(charlie, { account: charlie.account.address })).balance).toBe(
      parseFlock("4"),
    );
  }, 120_000);
});
