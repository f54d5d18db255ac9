import type { wire } from "@flock/core";

/** A billed call (or a subscription fee) with its cost as bigint (FLOCK base units). */
export type UsageRecord = Omit<wire.UsageRecord, "cost"> & { cost: bigint };

/** A key's usage history with amounts as bigint. */
export interface UsageHistory {
  keyId: number;
  items: UsageRecord[];
  totals: { requests: number; promptTokens: number; completionTokens: number; cost: bigint };
}

/** A plan with its fee as bigint. */
export type Plan = Omit<wire.Plan, "fee"> & { fee: bigint };

/** A subscription with its fee as bigint. */
export type Subscription = Omit<wire.Subscription, "fee"> & { fee: bigint };

/** Token prices as bigint (FLOCK base units per 1,000 tokens). */
export interface ModelPrices {
  default: { promptPer1k: bigint; completionPer1k: bigint };
  items: { model: string; promptPer1k: bigint; completionPer1k: bigint }[];
}

export function toUsageHistory(body: wire.UsageHistory): UsageHistory {
  return {
    keyId: body.keyId,
    items: body.items.map((r) => ({ ...r, cost: BigInt(r.cost) })),
    totals: { ...body.totals, cost: BigInt(body.totals.cost) },
  };
}

export function toPlan(body: wire.Plan): Plan {
  return { ...body, fee: BigInt(body.fee) };
}

export function toSubscription(body: wire.Subscription): Subscription {
  return { ...body, fee: BigInt(body.fee) };
}

export function toModelPrices(body: wire.ModelPrices): ModelPrices {
  const price = (p: wire.TokenPrice) => ({
    promptPer1k: BigInt(p.promptPer1k),
    completionPer1k: BigInt(p.completionPer1k),
  });
  return { default: price(body.default), items: body.items.map((i) => ({ model: i.model, ...price(i) })) };
}
