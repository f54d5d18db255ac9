import { type Kysely, sql } from "kysely";

/**
 * The `contribution` pay rule (SPEC §2.2: contribution accounting from the voters' evaluations). Before its vote
 * a round fixes the coalitions of its proposers whose models the voters evaluate, each with the content id of its
 * FedAvg model: `[{ members: [account, …], model: "sha256:…" }]`. The proposers' values land in the existing
 * `contributions` column; the voters' revealed evaluations stay with their votes in `voters`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw("alter table fl_rounds add column coalitions jsonb not null default '[]'").execute(db);
}
