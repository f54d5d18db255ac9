import { type Kysely, sql } from "kysely";

const ADDRESS = "'^0x[0-9a-f]{40}$'";
const HASH = "'^0x[0-9a-f]{64}$'";

/**
 * Chain facts settlement needs, indexed once instead of rescanned from the deployment block at every
 * settlement: each pool's σ as last set (DelegationPools' SigmaSet) and every executed slash (Slashing's
 * Slashed) with its parts and transaction.
 */
const statements = [
  `create table pool_sigmas (
    participant text primary key check (participant ~ ${ADDRESS}),
    sigma_bps integer not null check (sigma_bps between 0 and 10000),
    block_number bigint not null check (block_number >= 0),
    log_index integer not null check (log_index >= 0)
  )`,
  `create table chain_slashes (
    evidence_hash text primary key check (evidence_hash ~ ${HASH}),
    task_id bigint not null check (task_id >= 0),
    account text not null check (account ~ ${ADDRESS}),
    prover text not null check (prover ~ ${ADDRESS}),
    fraction_bps integer not null check (fraction_bps between 0 and 10000),
    amount numeric(78,0) not null check (amount >= 0),
    prover_share numeric(78,0) not null check (prover_share >= 0),
    treasury_share numeric(78,0) not null check (treasury_share >= 0),
    tx_hash text not null check (tx_hash ~ ${HASH}),
    block_number bigint not null check (block_number >= 0),
    log_index integer not null check (log_index >= 0),
    check (prover_share + treasury_share = amount)
  )`,
  "create index chain_slashes_task_idx on chain_slashes (task_id)",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
