import { NotFoundError, toAmount } from "@flock/core";
import type { Kysely, Selectable } from "kysely";
import type { Database, PlansTable, SubscriptionsTable } from "./schema.ts";
import { amountText, normalizeAddress } from "./values.ts";

/** A subscription plan an operator offers: a fee for a period, with a token quota and a request rate. */
export interface PlanRecord {
  name: string;
  /** FLOCK base units, paid from the prepaid balance when subscribing. */
  fee: bigint;
  periodSeconds: number;
  /** Prompt + completion tokens the subscription's calls may use in its period. */
  tokenQuota: number;
  requestsPerMinute: number;
}

/** A model's price per 1,000 prompt and completion tokens, FLOCK base units. */
export interface ModelPriceRecord {
  model: string;
  promptPer1k: bigint;
  completionPer1k: bigint;
  updatedAt: Date;
}

/** A paid subscription: the plan's terms as they were when it was paid, for [startsAt, endsAt). */
export interface SubscriptionRecord {
  id: number;
  account: string;
  plan: string;
  fee: bigint;
  tokenQuota: number;
  requestsPerMinute: number;
  startsAt: Date;
  endsAt: Date;
}

function toPlan(row: Selectable<PlansTable>): PlanRecord {
  return {
    name: row.name,
    fee: toAmount(row.fee, "plan fee"),
    periodSeconds: row.period_seconds,
    tokenQuota: row.token_quota,
    requestsPerMinute: row.requests_per_minute,
  };
}

function toSubscription(row: Selectable<SubscriptionsTable>): SubscriptionRecord {
  return {
    id: row.id,
    account: row.account,
    plan: row.plan,
    fee: toAmount(row.fee, "subscription fee"),
    tokenQuota: row.token_quota,
    requestsPerMinute: row.requests_per_minute,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
  };
}

/** Moonbase's price list: plans, per-model token prices and the subscriptions paid for plans. */
export class PlanRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Create or change a plan (a change applies to subscriptions paid afterwards). */
  async upsertPlan(plan: PlanRecord): Promise<PlanRecord> {
    const values = {
      fee: amountText(plan.fee, "plan fee"),
      period_seconds: plan.periodSeconds,
      token_quota: plan.tokenQuota,
      requests_per_minute: plan.requestsPerMinute,
    };
    const row = await this.#db
      .insertInto("plans")
      .values({ name: plan.name, ...values })
      .onConflict((oc) => oc.column("name").doUpdateSet({ ...values, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPlan(row);
  }

  async listPlans(): Promise<PlanRecord[]> {
    return (await this.#db.selectFrom("plans").selectAll().orderBy("name").execute()).map(toPlan);
  }

  /** One plan; throws PLAN_NOT_FOUND. */
  async getPlan(name: string): Promise<PlanRecord> {
    const row = await this.#db.selectFrom("plans").selectAll().where("name", "=", name).executeTakeFirst();
    if (row === undefined) {
      throw new NotFoundError("PLAN_NOT_FOUND", `no plan ${JSON.stringify(name)}`, {
        hint: "GET /plans lists the plans this coordinator offers",
        details: { plan: name },
      });
    }
    return toPlan(row);
  }

  /** Set a model's price (registry name). */
  async setPrice(
    model: string,
    price: { promptPer1k: bigint; completionPer1k: bigint },
  ): Promise<ModelPriceRecord> {
    const values = {
      prompt_per_1k: amountText(price.promptPer1k, "prompt price"),
      completion_per_1k: amountText(price.completionPer1k, "completion price"),
    };
    const row = await this.#db
      .insertInto("model_prices")
      .values({ model, ...values })
      .onConflict((oc) => oc.column("model").doUpdateSet({ ...values, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toPrice(row);
  }

  /** A model's own price, if the operator set one. */
  async priceOf(model: string): Promise<ModelPriceRecord | undefined> {
    const row = await this.#db
      .selectFrom("model_prices")
      .selectAll()
      .where("model", "=", model)
      .executeTakeFirst();
    return row === undefined ? undefined : toPrice(row);
  }

  async listPrices(): Promise<ModelPriceRecord[]> {
    return (await this.#db.selectFrom("model_prices").selectAll().orderBy("model").execute()).map(toPrice);
  }

  async createSubscription(subscription: Omit<SubscriptionRecord, "id">): Promise<SubscriptionRecord> {
    const row = await this.#db
      .insertInto("subscriptions")
      .values({
        account: normalizeAddress(subscription.account),
        plan: subscription.plan,
        fee: amountText(subscription.fee, "subscription fee"),
        token_quota: subscription.tokenQuota,
        requests_per_minute: subscription.requestsPerMinute,
        starts_at: subscription.startsAt,
        ends_at: subscription.endsAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toSubscription(row);
  }

  /** The account's subscription running at `at`, if any (an account holds one at a time). */
  async activeSubscription(account: string, at: Date): Promise<SubscriptionRecord | undefined> {
    const row = await this.#db
      .selectFrom("subscriptions")
      .selectAll()
      .where("account", "=", normalizeAddress(account))
      .where("starts_at", "<=", at)
      .where("ends_at", ">", at)
      .orderBy("id", "desc")
      .executeTakeFirst();
    return row === undefined ? undefined : toSubscription(row);
  }
}

function toPrice(row: {
  model: string;
  prompt_per_1k: string;
  completion_per_1k: string;
  updated_at: Date;
}): ModelPriceRecord {
  return {
    model: row.model,
    promptPer1k: toAmount(row.prompt_per_1k, "prompt price"),
    completionPer1k: toAmount(row.completion_per_1k, "completion price"),
    updatedAt: row.updated_at,
  };
}
