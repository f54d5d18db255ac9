import { type Kysely, sql } from "kysely";

/** A draft its creator withdrew before it opened is `cancelled` (its funded pool goes back to its funders). */
const statements = [
  "alter table tasks drop constraint tasks_status_check",
  "alter table tasks add constraint tasks_status_check check (status in ('draft', 'open', 'validating', 'finalized', 'closed', 'cancelled'))",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
