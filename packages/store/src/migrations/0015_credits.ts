import { type Kysely, sql } from "kysely";

const ADDRESS = "'^0x[0-9a-f]{40}$'";

/**
 * Moonbase's prepaid balances as the UsageCredits contract holds them, indexed from its events: per account the
 * FLOCK deposited, withdrawn and charged (collected usage) so far, and the pending withdrawal request. The
 * on-chain balance is deposited − withdrawn − charged. `block_number`/`log_index` is the position of the last
 * event applied, so a replayed event changes nothing.
 */
const statements = [
  `create table credit_accounts (
    account text primary key check (account ~ ${ADDRESS}),
    deposited numeric(78,0) not null default 0 check (deposited >= 0),
    withdrawn numeric(78,0) not null default 0 check (withdrawn >= 0),
    charged numeric(78,0) not null default 0 check (charged >= 0),
    pending_withdrawal numeric(78,0) not null default 0 check (pending_withdrawal >= 0),
    pending_available_at timestamptz,
    block_number bigint not null check (block_number >= 0),
    log_index integer not null check (log_index >= 0),
    check (withdrawn + charged <= deposited),
    check ((pending_withdrawal = 0) = (pending_available_at is null))
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
