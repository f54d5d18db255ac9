import { type Kysely, sql } from "kysely";

const CONTENT_ID = "'^sha256:[0-9a-f]{64}$'";

/**
 * Moonbase's model registry (SPEC §2.4). Every accepted model (an Arena task's winner, a federated task's final
 * global model) is a row: a name (`flock/<slug>`) with versions 1, 2, … and, per version, the artifact that holds
 * the weights or the adapter (unique: registering the same artifact again is a no-op), what it was trained from
 * (`base_model`: a published model's name or content id), the task that produced it, its license, its metrics and
 * its lineage (task, trainers, validators and their scores, FL rounds with proposers and contribution values,
 * datasets) as one JSON document, written once at registration.
 */
const statements = [
  `create table models (
    id serial primary key,
    name text not null check (name ~ '^[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*$' and length(name) <= 120),
    version integer not null check (version >= 1),
    kind text not null check (kind in ('arena-lora', 'arena-full', 'arena-tabular', 'fl-global')),
    task_id integer not null references tasks (id),
    base_model text not null check (length(base_model) between 1 and 200),
    artifact text not null unique check (artifact ~ ${CONTENT_ID}),
    license text not null check (length(license) between 1 and 100),
    metrics jsonb not null default '{}',
    lineage jsonb not null,
    created_at timestamptz not null default now(),
    unique (name, version)
  )`,
  "create index models_task on models (task_id)",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
