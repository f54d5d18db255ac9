import { ConflictError } from "@flock/core";
import { expect, it } from "vitest";
import { account, type StoreTestContext } from "./testing/fixtures.ts";
import type { UsageBilling } from "./usage.ts";
import { UsageSettlementRepository } from "./usageSettlement.ts";

export function usageSettlementCases(ctx: StoreTestContext): void {
  const t0 = new Date("2026-01-01T00:00:00Z");
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
  const record = (
    payer: string,
    cost: bigint,
    minutes: number,
    model: string | null = "flock/a",
    billing: UsageBilling = model === null ? "subscription" : "balance",
  ) =>
    ctx.repos.usage.record({
      keyId: null,
      account: payer,
      model,
      modelId: model === null ? null : 7,
      promptTokens: 10,
      completionTokens: 5,
      cost,
      billing,
      createdAt: at(minutes),
    });

  it("reads uncollected usage before a time, grouped by payer, model version and billing", async () => {
    const settlement = new UsageSettlementRepository(ctx.db);
    await record(account(1), 5n, 1);
    await record(account(1), 7n, 2);
    await record(account(1), 0n, 3, "flock/b", "plan");
    await record(account(1), 100n, 4, null);
    await record(account(2), 3n, 5);
    await record(account(2), 9n, 30); // after the close: the next epoch's
    const usage = await settlement.uncollected(at(10));
    expect(usage.total).toBe(115n);
    expect(usage.since).toEqual(at(1));
    expect(usage.groups.map((g) => [g.account, g.model, g.billing, g.records, g.tokens, g.cost])).toEqual([
      [account(1), "flock/a", "balance", 2, 30n, 12n],
      [account(1), "flock/b", "plan", 1, 15n, 0n],
      [account(1), null, "subscription", 1, 15n, 100n],
      [account(2), "flock/a", "balance", 1, 15n, 3n],
    ]);
    expect(await settlement.uncollected(at(0))).toMatchObject({ throughId: null, groups: [], total: 0n });
  });

  it("marks exactly what was read with the epoch; never twice; later records wait for the next epoch", async () => {
    const settlement = new UsageSettlementRepository(ctx.db);
    await record(account(1), 5n, 1);
    await record(account(2), 3n, 2);
    const read = await settlement.uncollected(at(10));
    // metered after the read, with a time before the close: it waits for the next epoch
    await record(account(1), 4n, 9);
    expect(await settlement.markCollected(1, read)).toEqual({ records: 2, total: 8n });
    const again = await settlement.markCollected(2, read).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ConflictError);
    expect((again as ConflictError).code).toBe("USAGE_COLLECTED_MEANWHILE");
    const next = await settlement.uncollected(at(10));
    expect(next.total).toBe(4n);
    expect(await settlement.markCollected(2, next)).toEqual({ records: 1, total: 4n });
    expect(await ctx.repos.usage.uncollectedOf(account(1))).toBe(0n);

    const first = await settlement.collectedIn(1);
    expect(first.total).toBe(8n);
    expect(first.byAccount.map((a) => [a.account, a.amount, a.records])).toEqual([
      [account(1), 5n, 1],
      [account(2), 3n, 1],
    ]);
    expect(first.byModel).toEqual([{ model: "flock/a", modelId: 7, amount: 8n, records: 2, tokens: 30n }]);
    expect((await settlement.collectedIn(3)).total).toBe(0n);
  });

  it("leaves out excluded payers: their usage is neither read nor marked", async () => {
    const settlement = new UsageSettlementRepository(ctx.db);
    await record(account(1), 5n, 1);
    await record(account(2), 3n, 2);
    const read = await settlement.uncollected(at(10), {
      exclude: [account(2).toUpperCase().replace("0X", "0x")],
    });
    expect(read.excluded).toEqual([account(2)]);
    expect(read.groups.map((g) => g.account)).toEqual([account(1)]);
    expect(await settlement.markCollected(1, read)).toEqual({ records: 1, total: 5n });
    expect(await ctx.repos.usage.uncollectedOf(account(2))).toBe(3n);
  });
}
