import { type Kysely, sql } from "kysely";

/**
 * The request edge: a publisher's stored bytes are summed on every public upload (the per-publisher quota),
 * and used request nonces are pruned by expiry, so both lookups get an index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index artifacts_published_by_idx on artifacts (published_by) where published_by is not null`.execute(
    db,
  );
  await sql`create index request_nonces_expires_at_idx on request_nonces (expires_at)`.execute(db);
}
