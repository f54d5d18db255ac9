import { type Kysely, sql } from "kysely";

/**
 * A chain write's transaction hash is recorded when the node accepts it (`sent`), before it is mined, so after a
 * crash between send and mine the reconciler looks that transaction up instead of only reading the chain's state.
 */
const statements = [
  "alter table chain_writes drop constraint chain_writes_status_check",
  "alter table chain_writes add constraint chain_writes_status_check check (status in ('intent', 'sent', 'confirmed'))",
  "drop index chain_writes_open_idx",
  "create index chain_writes_open_idx on chain_writes (id) where status in ('intent', 'sent')",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
