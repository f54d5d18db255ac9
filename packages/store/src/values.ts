import { assertAmount, ValidationError } from "@flock/core";
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH32 = /^0x[0-9a-fA-F]{64}$/;

/** An EVM address in the lowercase form the database stores. */
export function normalizeAddress(value: string, name = "account"): string {
  if (typeof value !== "string" || !ADDRESS.test(value)) {
    throw new ValidationError("ADDRESS_MALFORMED", `${name} ${JSON.stringify(value)} is not an EVM address`, {
      hint: "accounts are 0x followed by 40 hex digits",
    });
  }
  return value.toLowerCase();
}

/** A 32-byte chain hash (transaction hash, Merkle root, report hash) in lowercase 0x form. */
export function normalizeHash32(value: string, name = "hash"): `0x${string}` {
  if (typeof value !== "string" || !HASH32.test(value)) {
    throw new ValidationError(
      "HASH_MALFORMED",
      `${name} ${JSON.stringify(value)} is not a 32-byte hex hash`,
      {
        hint: "hashes are 0x followed by 64 hex digits",
      },
    );
  }
  return value.toLowerCase() as `0x${string}`;
}

/** A token amount (bigint ≥ 0) as the decimal text stored in numeric(78,0). */
export function amountText(value: bigint, name = "amount"): string {
  return assertAmount(value, name).toString();
}

/** A signed fixed-point score (1e18 = 1.0) as decimal text. */
export function scoreText(value: bigint): string {
  if (typeof value !== "bigint") {
    throw new ValidationError("SCORE_NOT_BIGINT", `score must be a fixed-point bigint, got ${typeof value}`, {
      hint: "convert metrics with protocol's scoreFromMetric",
    });
  }
  return value.toString();
}

/** Run `work` in a transaction, or directly when `db` already is one (so repositories compose). */
export async function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database> | Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (db.isTransaction) return work(db);
  return db.transaction().execute(work);
}

/** A page of results in id order, and the cursor to pass as `after` for the next page. */
export interface Page<T> {
  items: T[];
  next: number | undefined;
}

export interface PageOptions {
  /** Items per page, 1–500 (default 100). */
  limit?: number;
  /** Return items with an id greater than this cursor. */
  after?: number;
}

/** The requested page size, checked. */
export function pageLimit(limit: number | undefined): number {
  const value = limit ?? 100;
  if (!Number.isInteger(value) || value < 1 || value > 500) {
    throw new ValidationError("PAGE_LIMIT_INVALID", `page limit ${value} is not an integer in 1–500`, {
      hint: "ask for at most 500 items and follow the `next` cursor",
    });
  }
  return value;
}

/** Cut `limit + 1` fetched rows into a page and its next cursor. */
export function toPage<T>(rows: T[], limit: number, idOf: (item: T) => number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, next: rows.length > limit && last !== undefined ? idOf(last) : undefined };
}
