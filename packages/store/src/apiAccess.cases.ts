import { expect, it } from "vitest";
import { account, type StoreTestContext } from "./testing/fixtures.ts";

export function apiAccessCases(ctx: StoreTestContext): void {
  const hash = (n: number) => n.toString(16).padStart(64, "0");

  it("keeps a key's secret hash, scope and plan; revoking keeps the first time; unknown ids are API_KEY_NOT_FOUND", async () => {
    await ctx.repos.plans.upsertPlan({
      name: "pro",
      fee: 5n * 10n ** 18n,
      periodSeconds: 86_400,
      tokenQuota: 1_000_000,
      requestsPerMinute: 600,
    });
    const key = await ctx.repos.apiKeys.create({
      owner: account(1).toUpperCase().replace("0X", "0x"),
      name: "laptop",
      prefix: "flk_AbCdEf",
      secretHash: hash(1),
      models: ["flock/a", "flock/b"],
      plan: "pro",
    });
    expect(key).toMatchObject({
      owner: account(1),
      models: ["flock/a", "flock/b"],
      plan: "pro",
      revokedAt: null,
    });
    expect(await ctx.repos.apiKeys.bySecretHash(hash(1))).toEqual(key);
    expect(await ctx.repos.apiKeys.bySecretHash(hash(2))).toBeUndefined();
    await expect(
      ctx.repos.apiKeys.create({
        owner: account(2),
        name: "x",
        prefix: "p",
        secretHash: hash(1),
        models: null,
        plan: null,
      }),
    ).rejects.toThrow();
    await expect(
      ctx.repos.apiKeys.create({
        owner: account(2),
        name: "x",
        prefix: "p",
        secretHash: hash(3),
        models: null,
        plan: "none",
      }),
    ).rejects.toThrow();
    const first = await ctx.repos.apiKeys.revoke(key.id, new Date("2026-01-01T00:00:00Z"));
    const again = await ctx.repos.apiKeys.revoke(key.id, new Date("2026-02-01T00:00:00Z"));
    expect(again.revokedAt).toEqual(first.revokedAt);
    expect(first.revokedAt?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    await expect(ctx.repos.apiKeys.get(key.id + 1000)).rejects.toMatchObject({ code: "API_KEY_NOT_FOUND" });
    expect((await ctx.repos.apiKeys.listByOwner(account(1))).map((k) => k.id)).toEqual([key.id]);
  });

  it("usage records: exact bigint costs, uncollected sums, plan tokens in a period, a fee has no model", async () => {
    const key = await ctx.repos.apiKeys.create({
      owner: account(1),
      name: "k",
      prefix: "flk_x",
      secretHash: hash(9),
      models: null,
      plan: null,
    });
    const at = new Date("2026-03-01T12:00:00Z");
    const big = 123_456_789_012_345_678_901_234_567n;
    const record = (over: Partial<Parameters<typeof ctx.repos.usage.record>[0]>) =>
      ctx.repos.usage.record({
        keyId: key.id,
        account: account(1),
        model: "flock/a",
        modelId: null,
        promptTokens: 10,
        completionTokens: 20,
        cost: 1n,
        billing: "balance",
        createdAt: at,
        ...over,
      });
    const first = await record({ cost: big });
    expect(first).toMatchObject({ cost: big, epoch: null, billing: "balance" });
    await record({ billing: "plan", cost: 0n, createdAt: new Date(at.getTime() + 1000) });
    await record({ billing: "plan", cost: 0n, createdAt: new Date(at.getTime() + 10_000) });
    await record({
      keyId: null,
      model: null,
      billing: "subscription",
      promptTokens: 0,
      completionTokens: 0,
      cost: 7n,
    });
    // a fee with a model, or a call without one, breaks the table's rule
    await expect(record({ billing: "subscription" })).rejects.toThrow();
    await expect(record({ model: null })).rejects.toThrow();
    await expect(record({ cost: -1n })).rejects.toThrow();

    expect(await ctx.repos.usage.uncollectedOf(account(1))).toBe(big + 7n);
    expect(await ctx.repos.usage.uncollectedOf(account(2))).toBe(0n);
    expect(await ctx.repos.usage.planTokensOf(account(1), at, new Date(at.getTime() + 5000))).toBe(30);
    expect(await ctx.repos.usage.listByKey(key.id)).toHaveLength(3);
    expect(
      await ctx.repos.usage.listByKey(key.id, {
        from: new Date(at.getTime() + 1),
        to: new Date(at.getTime() + 5000),
      }),
    ).toHaveLength(1);
    expect(await ctx.repos.usage.listByAccount(account(1))).toHaveLength(4);
  });

  it("prices and subscriptions: a model's own price replaces the last; the running subscription by time", async () => {
    expect(await ctx.repos.plans.priceOf("flock/a")).toBeUndefined();
    await ctx.repos.plans.setPrice("flock/a", { promptPer1k: 1n, completionPer1k: 2n });
    await ctx.repos.plans.setPrice("flock/a", { promptPer1k: 10n ** 30n, completionPer1k: 3n });
    expect(await ctx.repos.plans.priceOf("flock/a")).toMatchObject({
      promptPer1k: 10n ** 30n,
      completionPer1k: 3n,
    });
    await ctx.repos.plans.upsertPlan({
      name: "day",
      fee: 1n,
      periodSeconds: 86_400,
      tokenQuota: 5,
      requestsPerMinute: 1,
    });
    await expect(ctx.repos.plans.getPlan("night")).rejects.toMatchObject({ code: "PLAN_NOT_FOUND" });
    const startsAt = new Date("2026-03-01T00:00:00Z");
    const endsAt = new Date("2026-03-02T00:00:00Z");
    const subscription = await ctx.repos.plans.createSubscription({
      account: account(3),
      plan: "day",
      fee: 1n,
      tokenQuota: 5,
      requestsPerMinute: 1,
      startsAt,
      endsAt,
    });
    expect(await ctx.repos.plans.activeSubscription(account(3), startsAt)).toEqual(subscription);
    expect(await ctx.repos.plans.activeSubscription(account(3), new Date(endsAt.getTime() - 1))).toEqual(
      subscription,
    );
    expect(await ctx.repos.plans.activeSubscription(account(3), endsAt)).toBeUndefined();
  });
}
