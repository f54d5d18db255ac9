import { type Kysely, sql } from "kysely";

/**
 * A task's reward weight is the emission weight its creator asks for (SPEC §3): 0 for a task paid by its own
 * pool alone. What settlement pays is the weight an operator approved (task_funding.approved_weight).
 */
const statements = [
  "alter table tasks drop constraint if exists tasks_reward_weight_check",
  "alter table tasks add constraint tasks_reward_weight_check check (reward_weight >= 0)",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
