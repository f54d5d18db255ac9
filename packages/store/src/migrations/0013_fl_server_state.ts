import { type Kysely, sql } from "kysely";

/**
 * A federated task's server-optimizer state (FedAvgM's momentum, FedAdam's, FedYogi's and FedAdagrad's
 * moments): each round records, with its candidate, the state the strategy reached by aggregating it (an
 * artifact's content id). The next round continues from the state of the last accepted round, so a rejected or
 * failed round leaves the optimizer as it was, and a restarted coordinator reloads it from here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw("alter table fl_rounds add column server_state text check (server_state ~ '^sha256:[0-9a-f]{64}$')")
    .execute(db);
}
