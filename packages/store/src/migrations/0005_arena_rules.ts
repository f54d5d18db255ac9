import { type Kysely, sql } from "kysely";

const CONTENT_ID = "'^sha256:[0-9a-f]{64}$'";
const HASH = "'^0x[0-9a-f]{64}$'";

/**
 * The Arena's scoring rules (SPEC §2.1):
 * - one live submission per trainer and task: a new commit before the deadline replaces the earlier one
 *   (`replaced`, never scored), so settlement never sees a trainer twice;
 * - validator scores by commit-reveal: an assignment is `committed` with the hash of (assignment, score,
 *   salt), the score is revealed after the validation deadline with the signed request kept verbatim, and a
 *   commitment never revealed ends `unrevealed` (a failed duty);
 * - a refereed re-run is the truth: it replaces the submission's consensus (`refereed_scores`);
 * - a hidden set is used once: tasks are indexed by their validation commitment.
 */
const statements = [
  // Older rows may hold several commits of one trainer: the latest stays live, the others are replaced.
  "alter table submissions drop constraint if exists submissions_task_id_trainer_commit_hash_key",
  "alter table submissions drop constraint if exists submissions_status_check",
  "alter table submissions add column replaced_by integer",
  `update submissions s set status = 'replaced', replaced_by = (
     select max(l.id) from submissions l where l.task_id = s.task_id and l.trainer = s.trainer)
   where s.status in ('committed', 'uploaded', 'accepted') and exists (
     select 1 from submissions l where l.task_id = s.task_id and l.trainer = s.trainer and l.id > s.id
       and l.status in ('committed', 'uploaded', 'accepted'))`,
  `alter table submissions add constraint submissions_status_check
     check (status in ('committed', 'uploaded', 'accepted', 'rejected', 'copy', 'replaced'))`,
  `alter table submissions add constraint submissions_replaced_check
     check ((status = 'replaced') = (replaced_by is not null) and (replaced_by is null or replaced_by > id))`,
  `create unique index submissions_live_idx on submissions (task_id, trainer)
     where status in ('committed', 'uploaded', 'accepted')`,

  "alter table assignments drop constraint if exists assignments_status_check",
  `alter table assignments add constraint assignments_status_check
     check (status in ('open', 'committed', 'reported', 'timed_out', 'refused', 'unrevealed'))`,
  `alter table assignments add column commitment text check (commitment ~ ${HASH})`,
  "alter table assignments add column committed_at timestamptz",
  `alter table assignments add constraint assignments_commitment_pair_check
     check ((commitment is null) = (committed_at is null)
       and (status not in ('committed', 'unrevealed') or commitment is not null))`,

  // A reveal: the salt that opens the commitment, and the signed request as received (headers, raw body).
  "alter table scores add column salt text",
  "alter table scores add column reveal_headers jsonb",
  "alter table scores add column reveal_body text",

  `create table refereed_scores (
    submission_id integer primary key references submissions (id),
    score numeric(78,0) not null,
    dispute_id integer not null,
    evidence_id text not null check (evidence_id ~ ${CONTENT_ID}),
    decided_at timestamptz not null default now()
  )`,

  "create index tasks_validation_commitment_idx on tasks (validation_commitment)",
  "create index tasks_hidden_set_idx on tasks (hidden_validation_set_id)",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
