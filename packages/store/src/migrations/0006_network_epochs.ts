import { type Kysely, sql } from "kysely";

const ADDRESS = "'^0x[0-9a-f]{40}$'";
const HASH = "'^0x[0-9a-f]{64}$'";

/**
 * Network-wide epochs and the inputs they are settled from (SPEC §3):
 * - an epoch is one period of the emission clock: it settles every task finalized within it (`epoch_tasks`,
 *   a task in one epoch at most) and records which emission mint funds it (`mint_index`);
 * - stakes are frozen at a task's submission deadline: the block after it (`task_snapshots`, whose hash also
 *   seeds the validator draw) and every staker's frozen stake (`stake_snapshots`);
 * - how a task is paid (`task_funding`): the pool its creator funds on-chain, and the operator who approved an
 *   emission weight for it.
 */
const statements = [
  "alter table epochs add column mint_index numeric(78,0) check (mint_index >= 0)",
  `create table epoch_tasks (
    task_id integer primary key references tasks (id),
    epoch integer not null references epochs (number)
  )`,
  "create index epoch_tasks_epoch_idx on epoch_tasks (epoch)",
  // Epochs recorded before this migration settled one task each.
  "insert into epoch_tasks (task_id, epoch) select task_id, number from epochs where task_id is not null",
  `create table task_snapshots (
    task_id integer primary key references tasks (id),
    block_number numeric(78,0) not null check (block_number >= 0),
    block_hash text not null check (block_hash ~ ${HASH}),
    block_time timestamptz not null
  )`,
  `create table stake_snapshots (
    task_id integer not null references task_snapshots (task_id),
    account text not null check (account ~ ${ADDRESS}),
    role text not null check (role in ('trainer', 'validator')),
    amount numeric(78,0) not null check (amount >= 0),
    primary key (task_id, account)
  )`,
  `create table task_funding (
    task_id integer primary key references tasks (id),
    pool numeric(78,0) not null check (pool >= 0),
    approved_weight numeric(78,0) check (approved_weight >= 0),
    approved_by text check (approved_by ~ ${ADDRESS}),
    approved_at timestamptz,
    check ((approved_weight is null) = (approved_by is null) and (approved_by is null) = (approved_at is null))
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
