import { toAmount } from "@flock/core";
import { type Kysely, type Selectable, sql } from "kysely";
import { guard } from "./dbErrors.ts";
import type { Database, DelegationsTable } from "./schema.ts";
import { checkChainPosition } from "./stakes.ts";
import { amountText, inTransaction, normalizeAddress } from "./values.ts";

/** A delegator's current delegation to a participant's pool, indexed from DelegationPools events. */
export interface Delegation {
  pool: string;
  delegator: string;
  amount: bigint;
  /** When the current amount took effect (block time): time-weighted pool splits start here. */
  since: Date;
  blockNumber: number;
  logIndex: number;
}

/** A Delegated/Undelegated event, carrying the delegation's total after it. */
export interface DelegationEvent {
  pool: string;
  delegator: string;
  /** The delegation's total after the event (DelegationPools' `delegation`), not the delta. */
  amount: bigint;
  /** The block's timestamp. */
  at: Date;
  blockNumber: number;
  logIndex: number;
}

/** One change in a pool's history: from `at`, `delegator` had `amount` delegated. */
export interface DelegationChange {
  pool: string;
  delegator: string;
  amount: bigint;
  at: Date;
  blockNumber: number;
  logIndex: number;
}

function toDelegation(row: Selectable<DelegationsTable>): Delegation {
  return {
    pool: row.pool,
    delegator: row.delegator,
    amount: toAmount(row.amount, "delegation"),
    since: row.since,
    blockNumber: row.block_number,
    logIndex: row.log_index,
  };
}

/** The delegation index, upserted idempotently from chain events like the stake index. */
export class DelegationRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Apply a delegation event: append it to the pool's history (once per chain position) and replace the
   * current delegation unless a later event already set it. Returns whether the current value changed.
   */
  async applyEvent(event: DelegationEvent): Promise<{ applied: boolean; delegation: Delegation }> {
    checkChainPosition(event.blockNumber, event.logIndex);
    const pool = normalizeAddress(event.pool, "pool");
    const delegator = normalizeAddress(event.delegator, "delegator");
    const amount = amountText(event.amount);
    const position = { block_number: event.blockNumber, log_index: event.logIndex };
    return inTransaction(this.#db, async (trx) => {
      await guard({ what: `delegation change of ${delegator} to ${pool}` }, () =>
        trx
          .insertInto("delegation_changes")
          .values({ ...position, pool, delegator, amount, at: event.at })
          .onConflict((conflict) => conflict.columns(["block_number", "log_index"]).doNothing())
          .execute(),
      );
      const row = await guard({ what: `delegation of ${delegator} to ${pool}` }, () =>
        trx
          .insertInto("delegations")
          .values({ ...position, pool, delegator, amount, since: event.at })
          .onConflict((conflict) =>
            conflict
              .columns(["pool", "delegator"])
              .doUpdateSet((eb) => ({
                amount: eb.ref("excluded.amount"),
                since: eb.ref("excluded.since"),
                block_number: eb.ref("excluded.block_number"),
                log_index: eb.ref("excluded.log_index"),
              }))
              .where(
                sql<boolean>`(delegations.block_number, delegations.log_index) < (excluded.block_number, excluded.log_index)`,
              ),
          )
          .returningAll()
          .executeTakeFirst(),
      );
      if (row !== undefined) return { applied: true, delegation: toDelegation(row) };
      const current = await trx
        .selectFrom("delegations")
        .selectAll()
        .where("pool", "=", pool)
        .where("delegator", "=", delegator)
        .executeTakeFirstOrThrow();
      return { applied: false, delegation: toDelegation(current) };
    });
  }

  /** A pool's delegation history in chain order, optionally only changes up to `until` (inclusive). */
  async listChanges(pool: string, options: { until?: Date } = {}): Promise<DelegationChange[]> {
    let query = this.#db
      .selectFrom("delegation_changes")
      .selectAll()
      .where("pool", "=", normalizeAddress(pool, "pool"))
      .orderBy("block_number")
      .orderBy("log_index");
    if (options.until !== undefined) query = query.where("at", "<=", options.until);
    const rows = await query.execute();
    return rows.map((row) => ({
      pool: row.pool,
      delegator: row.delegator,
      amount: toAmount(row.amount, "delegation"),
      at: row.at,
      blockNumber: row.block_number,
      logIndex: row.log_index,
    }));
  }

  async get(pool: string, delegator: string): Promise<Delegation | undefined> {
    const row = await this.#db
      .selectFrom("delegations")
      .selectAll()
      .where("pool", "=", normalizeAddress(pool, "pool"))
      .where("delegator", "=", normalizeAddress(delegator, "delegator"))
      .executeTakeFirst();
    return row === undefined ? undefined : toDelegation(row);
  }

  /** Positive delegations to a pool, by delegator. */
  async listForPool(pool: string): Promise<Delegation[]> {
    const rows = await this.#db
      .selectFrom("delegations")
      .selectAll()
      .where("pool", "=", normalizeAddress(pool, "pool"))
      .where("amount", ">", "0")
      .orderBy("delegator")
      .execute();
    return rows.map(toDelegation);
  }

  /** Positive delegations made by one delegator, by pool. */
  async listForDelegator(delegator: string): Promise<Delegation[]> {
    const rows = await this.#db
      .selectFrom("delegations")
      .selectAll()
      .where("delegator", "=", normalizeAddress(delegator, "delegator"))
      .where("amount", ">", "0")
      .orderBy("pool")
      .execute();
    return rows.map(toDelegation);
  }

  /** Total delegated to a pool. */
  async totalForPool(pool: string): Promise<bigint> {
    const row = await this.#db
      .selectFrom("delegations")
      .select(sql<string>`coalesce(sum(amount), 0)::text`.as("total"))
      .where("pool", "=", normalizeAddress(pool, "pool"))
      .executeTakeFirstOrThrow();
    return toAmount(row.total, "delegation total");
  }
}
