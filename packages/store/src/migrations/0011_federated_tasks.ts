import { type Kysely, sql } from "kysely";

const ADDRESS = "'^0x[0-9a-f]{40}$'";
const HASH = "'^0x[0-9a-f]{64}$'";
const CONTENT_ID = "'^sha256:[0-9a-f]{64}$'";

/**
 * FL Alliance on the network (SPEC §2.2). A federated task is a row of `tasks` (kind `federated`), so it
 * shares the task ids of the chain (TaskStaking, RewardDistributor pools), funding, stakes, their freeze at the
 * join deadline, and epochs with Arena tasks; its own terms live in `fl_tasks`. Its status maps onto the task
 * lifecycle: open → validating (= running: rounds are played) → finalized (= finished) → closed.
 * - `fl_participants`: who joined (with stake on-chain), and how many rounds each missed;
 * - `fl_rounds`: each round's public seed, roles, candidate, votes, outcome (rewards and slashes);
 * - `fl_messages`: the network grid's messages to participants and their replies, one per (round, stage,
 *   node): a coordinator that restarts mid-round replays the round from them.
 */
const statements = [
  "alter table tasks add column kind text not null default 'arena' check (kind in ('arena', 'federated'))",
  `create table fl_tasks (
    task_id integer primary key references tasks (id),
    model_type text not null check (model_type in ('lm-lora', 'classifier', 'regressor')),
    rounds integer not null check (rounds >= 1),
    round_seconds integer not null check (round_seconds >= 1),
    min_participants integer not null check (min_participants >= 2),
    max_participants integer not null check (max_participants >= min_participants),
    strategy jsonb not null,
    privacy jsonb not null,
    pay_rule text not null check (pay_rule in ('stake', 'contribution')),
    proposer_fraction_bps integer not null check (proposer_fraction_bps between 1 and 9999),
    train_config jsonb not null,
    current_round integer not null default 0 check (current_round >= 0),
    accepted_rounds integer not null default 0 check (accepted_rounds >= 0),
    global_model text not null check (global_model ~ ${CONTENT_ID}),
    remaining_pool numeric(78,0) not null check (remaining_pool >= 0)
  )`,
  `create table fl_participants (
    task_id integer not null references fl_tasks (task_id),
    account text not null check (account ~ ${ADDRESS}),
    joined_at timestamptz not null,
    missed integer not null default 0 check (missed >= 0),
    primary key (task_id, account)
  )`,
  `create table fl_rounds (
    task_id integer not null references fl_tasks (task_id),
    round integer not null check (round >= 1),
    status text not null check (status in ('training', 'voting', 'revealing', 'accepted', 'rejected', 'failed')),
    seed text check (seed ~ ${HASH}),
    seed_block numeric(78,0) check (seed_block >= 0),
    started_at timestamptz not null,
    deadline timestamptz not null,
    proposers jsonb not null,
    voters jsonb not null,
    base_model text not null check (base_model ~ ${CONTENT_ID}),
    candidate_model text check (candidate_model ~ ${CONTENT_ID}),
    contributors jsonb not null default '[]',
    updaters jsonb not null default '[]',
    tally numeric(78,0),
    rewards jsonb not null default '[]',
    slashes jsonb not null default '[]',
    contributions jsonb,
    metrics jsonb not null default '{}',
    reason text,
    remaining_pool_after numeric(78,0) check (remaining_pool_after >= 0),
    ended_at timestamptz,
    epoch integer references epochs (number),
    primary key (task_id, round)
  )`,
  `create table fl_messages (
    id serial primary key,
    task_id integer not null references fl_tasks (task_id),
    round integer not null,
    stage text not null,
    node text not null check (node ~ ${ADDRESS}),
    kind text not null check (kind in ('train', 'evaluate', 'exchange')),
    arrays_id text check (arrays_id ~ ${CONTENT_ID}),
    config jsonb not null,
    body jsonb,
    deadline timestamptz not null,
    created_at timestamptz not null default now(),
    reply jsonb,
    replied_at timestamptz,
    unique (task_id, round, stage, node)
  )`,
  "create index fl_messages_pending_idx on fl_messages (task_id, node) where reply is null",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
