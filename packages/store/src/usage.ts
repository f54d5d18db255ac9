import { toAmount } from "@flock/core";
import { type Kysely, type Selectable, sql } from "kysely";
import type { Database, UsageBilling, UsageRecordsTable } from "./schema.ts";
import { amountText, normalizeAddress } from "./values.ts";

export type { UsageBilling } from "./schema.ts";

/** One billed call (or a subscription's fee), FLOCK base units. */
export interface UsageRecord {
  id: number;
  /** The API key that made the call; null for a subscription fee paid by a signed request. */
  keyId: number | null;
  /** The payer (lowercase 0x). */
  account: string;
  /** The served model's registry name; null for a subscription fee. */
  model: string | null;
  /** The registry id (models.id) of the version that answered, when the model is registered. */
  modelId: number | null;
  promptTokens: number;
  completionTokens: number;
  cost: bigint;
  billing: UsageBilling;
  createdAt: Date;
  /** The epoch whose settlement collected it on-chain; null until then. */
  epoch: number | null;
}

export type NewUsageRecord = Omit<UsageRecord, "id" | "epoch" | "createdAt"> & { createdAt: Date };

function toUsage(row: Selectable<UsageRecordsTable>): UsageRecord {
  return {
    id: row.id,
    keyId: row.key_id,
    account: row.account,
    model: row.model,
    modelId: row.model_id,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    cost: toAmount(row.cost, "usage cost"),
    billing: row.billing,
    createdAt: row.created_at,
    epoch: row.epoch,
  };
}

/** Metering of Moonbase's API: what each call cost and who pays it. Settlement's reads live in usageSettlement. */
export class UsageRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async record(usage: NewUsageRecord): Promise<UsageRecord> {
    const row = await this.#db
      .insertInto("usage_records")
      .values({
        key_id: usage.keyId,
        account: normalizeAddress(usage.account),
        model: usage.model,
        model_id: usage.modelId,
        prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens,
        cost: amountText(usage.cost, "usage cost"),
        billing: usage.billing,
        created_at: usage.createdAt,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toUsage(row);
  }

  /** Σ cost of the account's records not yet collected on-chain (they still count against its balance). */
  async uncollectedOf(account: string): Promise<bigint> {
    const row = await this.#db
      .selectFrom("usage_records")
      .select(sql<string>`coalesce(sum(cost), 0)::text`.as("total"))
      .where("account", "=", normalizeAddress(account))
      .where("epoch", "is", null)
      .executeTakeFirstOrThrow();
    return toAmount(row.total, "uncollected usage");
  }

  /** Prompt + completion tokens the account's calls billed to its plan in [from, to). */
  async planTokensOf(account: string, from: Date, to: Date): Promise<number> {
    const row = await this.#db
      .selectFrom("usage_records")
      .select(sql<string>`coalesce(sum(prompt_tokens + completion_tokens), 0)::text`.as("tokens"))
      .where("account", "=", normalizeAddress(account))
      .where("billing", "=", "plan")
      .where("created_at", ">=", from)
      .where("created_at", "<", to)
      .executeTakeFirstOrThrow();
    return Number(row.tokens);
  }

  /** A key's records in [from, to) (either end open when absent), oldest first. */
  async listByKey(keyId: number, range: { from?: Date; to?: Date } = {}): Promise<UsageRecord[]> {
    let query = this.#db.selectFrom("usage_records").selectAll().where("key_id", "=", keyId);
    if (range.from !== undefined) query = query.where("created_at", ">=", range.from);
    if (range.to !== undefined) query = query.where("created_at", "<", range.to);
    return (await query.orderBy("id").execute()).map(toUsage);
  }

  /** Every record the account pays, oldest first (calls by all its keys and subscription fees). */
  async listByAccount(account: string, range: { from?: Date; to?: Date } = {}): Promise<UsageRecord[]> {
    let query = this.#db
      .selectFrom("usage_records")
      .selectAll()
      .where("account", "=", normalizeAddress(account));
    if (range.from !== undefined) query = query.where("created_at", ">=", range.from);
    if (range.to !== undefined) query = query.where("created_at", "<", range.to);
    return (await query.orderBy("id").execute()).map(toUsage);
  }
}
