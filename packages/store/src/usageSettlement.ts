import { ConflictError, toAmount } from "@flock/core";
import { type Kysely, sql } from "kysely";
import type { Database, UsageBilling } from "./schema.ts";
import { normalizeAddress } from "./values.ts";

/** Uncollected usage of one payer on one served model version (or its subscription fees), summed. */
export interface UsageGroup {
  account: string;
  /** Registry name; null for subscription fees. */
  model: string | null;
  /** Registry id of the version that answered, when known. */
  modelId: number | null;
  billing: UsageBilling;
  records: number;
  tokens: bigint;
  cost: bigint;
}

/**
 * The usage an epoch closing now collects: every record not yet collected, created before the close time and
 * with an id up to `throughId` (a call metered while the epoch is being settled waits for the next one), grouped
 * by payer, model version and billing.
 */
export interface UncollectedUsage {
  upTo: Date;
  /** Payers left out (their usage waits, uncollected): lowercase addresses, sorted. */
  excluded: string[];
  /** The highest record id included; null when there is none. */
  throughId: number | null;
  /** The oldest record's time (the start of the period the revenue was earned in); null when none. */
  since: Date | null;
  groups: UsageGroup[];
  /** Σ cost of the groups. */
  total: bigint;
}

/** What one epoch collected, for its public usage listing. */
export interface CollectedUsage {
  epoch: number;
  byAccount: { account: string; amount: bigint; records: number }[];
  byModel: {
    model: string | null;
    modelId: number | null;
    amount: bigint;
    records: number;
    tokens: bigint;
  }[];
  total: bigint;
}

/**
 * Settlement's side of the usage records (SPEC §2.4): what an epoch is to collect, marking it collected with the
 * epoch's number (in the transaction that records the epoch, so a record is billed by exactly one epoch), and
 * what each epoch collected.
 */
export class UsageSettlementRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Uncollected usage created before `upTo`, grouped (see UncollectedUsage); the payers in `exclude` are left
   * out (settlement leaves out a payer whose on-chain credit cannot cover its charge: its usage waits).
   */
  async uncollected(upTo: Date, options: { exclude?: readonly string[] } = {}): Promise<UncollectedUsage> {
    const excluded = [...new Set((options.exclude ?? []).map((a) => normalizeAddress(a)))].sort();
    const bounds = await this.#db
      .selectFrom("usage_records")
      .select([sql<number | null>`max(id)`.as("through"), sql<Date | null>`min(created_at)`.as("since")])
      .where("epoch", "is", null)
      .where("created_at", "<", upTo)
      .$if(excluded.length > 0, (q) => q.where("account", "not in", excluded))
      .executeTakeFirstOrThrow();
    const throughId = bounds.through === null ? null : Number(bounds.through);
    if (throughId === null) return { upTo, excluded, throughId: null, since: null, groups: [], total: 0n };
    const rows = await this.#db
      .selectFrom("usage_records")
      .select([
        "account",
        "model",
        "model_id",
        "billing",
        sql<string>`count(*)::text`.as("records"),
        sql<string>`coalesce(sum(prompt_tokens + completion_tokens), 0)::text`.as("tokens"),
        sql<string>`coalesce(sum(cost), 0)::text`.as("cost"),
      ])
      .where("epoch", "is", null)
      .where("created_at", "<", upTo)
      .where("id", "<=", throughId)
      .$if(excluded.length > 0, (q) => q.where("account", "not in", excluded))
      .groupBy(["account", "model", "model_id", "billing"])
      .orderBy("account")
      .orderBy("model")
      .orderBy("model_id")
      .orderBy("billing")
      .execute();
    const groups = rows.map((r) => ({
      account: r.account,
      model: r.model,
      modelId: r.model_id === null ? null : Number(r.model_id),
      billing: r.billing,
      records: Number(r.records),
      tokens: BigInt(r.tokens),
      cost: toAmount(r.cost, "usage cost"),
    }));
    return {
      upTo,
      excluded,
      throughId,
      since: bounds.since === null ? null : new Date(bounds.since),
      groups,
      total: groups.reduce((sum, g) => sum + g.cost, 0n),
    };
  }

  /**
   * Mark the usage `uncollected` read as collected by `epoch`. Refused (USAGE_COLLECTED_MEANWHILE) unless exactly the
   * FLOCK that was read is still uncollected: a record another settlement collected meanwhile is never billed twice.
   */
  async markCollected(epoch: number, usage: UncollectedUsage): Promise<{ records: number; total: bigint }> {
    if (usage.throughId === null) return { records: 0, total: 0n };
    const rows = await this.#db
      .updateTable("usage_records")
      .set({ epoch })
      .where("epoch", "is", null)
      .where("created_at", "<", usage.upTo)
      .where("id", "<=", usage.throughId)
      .$if(usage.excluded.length > 0, (q) => q.where("account", "not in", usage.excluded))
      .returning(["cost"])
      .execute();
    const total = rows.reduce((sum, r) => sum + toAmount(r.cost, "usage cost"), 0n);
    const expected = usage.groups.reduce((sum, g) => sum + g.records, 0);
    if (rows.length !== expected || total !== usage.total) {
      throw new ConflictError(
        "USAGE_COLLECTED_MEANWHILE",
        `epoch ${epoch} was to collect ${expected} usage records (${usage.total}), but ${rows.length} (${total}) were still uncollected`,
        {
          hint: "another settlement collected some of this usage; close the epoch again to read what is left",
          details: { epoch, expected: String(usage.total), found: String(total) },
        },
      );
    }
    return { records: rows.length, total };
  }

  /** What `epoch` collected, per payer and per model version (subscription fees under model null). */
  async collectedIn(epoch: number): Promise<CollectedUsage> {
    const byAccount = await this.#db
      .selectFrom("usage_records")
      .select([
        "account",
        sql<string>`count(*)::text`.as("records"),
        sql<string>`coalesce(sum(cost), 0)::text`.as("amount"),
      ])
      .where("epoch", "=", epoch)
      .groupBy("account")
      .orderBy("account")
      .execute();
    const byModel = await this.#db
      .selectFrom("usage_records")
      .select([
        "model",
        "model_id",
        sql<string>`count(*)::text`.as("records"),
        sql<string>`coalesce(sum(prompt_tokens + completion_tokens), 0)::text`.as("tokens"),
        sql<string>`coalesce(sum(cost), 0)::text`.as("amount"),
      ])
      .where("epoch", "=", epoch)
      .groupBy(["model", "model_id"])
      .orderBy("model")
      .orderBy("model_id")
      .execute();
    const accounts = byAccount.map((r) => ({
      account: r.account,
      amount: toAmount(r.amount, "usage amount"),
      records: Number(r.records),
    }));
    return {
      epoch,
      byAccount: accounts,
      byModel: byModel.map((r) => ({
        model: r.model,
        modelId: r.model_id === null ? null : Number(r.model_id),
        amount: toAmount(r.amount, "usage amount"),
        records: Number(r.records),
        tokens: BigInt(r.tokens),
      })),
      total: accounts.reduce((sum, a) => sum + a.amount, 0n),
    };
  }
}
