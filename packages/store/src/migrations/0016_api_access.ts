import { type Kysely, sql } from "kysely";

const ADDRESS = "'^0x[0-9a-f]{40}$'";
const AMOUNT = "numeric(78,0) not null check (%s >= 0 and %s = trunc(%s))";
const amount = (column: string) => `${column} ${AMOUNT.replaceAll("%s", column)}`;

/**
 * Moonbase's paid access (SPEC §2.4): plans an operator offers (a fee per period for a token quota and a request
 * rate), API keys (the secret's sha256 only, a display prefix, an optional model scope and plan), each model's
 * price per 1,000 prompt and completion tokens, subscriptions (a plan's terms as paid), and the usage records:
 * one row per billed call or subscription fee, in FLOCK base units, uncollected (`epoch` null) until the epoch's
 * settlement collects it on-chain.
 */
const statements = [
  `create table plans (
    name text primary key check (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    ${amount("fee")},
    period_seconds integer not null check (period_seconds > 0),
    token_quota bigint not null check (token_quota >= 0),
    requests_per_minute integer not null check (requests_per_minute > 0),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
  )`,
  `create table api_keys (
    id bigserial primary key,
    owner text not null check (owner ~ ${ADDRESS}),
    name text not null check (length(name) between 1 and 100),
    prefix text not null,
    secret_hash text not null unique check (secret_hash ~ '^[0-9a-f]{64}$'),
    models jsonb,
    plan text references plans (name),
    created_at timestamptz not null default now(),
    revoked_at timestamptz
  )`,
  "create index api_keys_owner on api_keys (owner, id)",
  `create table model_prices (
    model text primary key check (length(model) between 1 and 120),
    ${amount("prompt_per_1k")},
    ${amount("completion_per_1k")},
    updated_at timestamptz not null default now()
  )`,
  `create table subscriptions (
    id bigserial primary key,
    account text not null check (account ~ ${ADDRESS}),
    plan text not null references plans (name),
    ${amount("fee")},
    token_quota bigint not null check (token_quota >= 0),
    requests_per_minute integer not null check (requests_per_minute > 0),
    starts_at timestamptz not null,
    ends_at timestamptz not null check (ends_at > starts_at),
    created_at timestamptz not null default now()
  )`,
  "create index subscriptions_account on subscriptions (account, ends_at)",
  `create table usage_records (
    id bigserial primary key,
    key_id bigint references api_keys (id),
    account text not null check (account ~ ${ADDRESS}),
    model text,
    model_id bigint,
    prompt_tokens integer not null check (prompt_tokens >= 0),
    completion_tokens integer not null check (completion_tokens >= 0),
    ${amount("cost")},
    billing text not null check (billing in ('balance', 'plan', 'subscription')),
    created_at timestamptz not null default now(),
    epoch integer,
    check ((billing = 'subscription') = (model is null))
  )`,
  "create index usage_records_uncollected on usage_records (account) where epoch is null",
  "create index usage_records_key on usage_records (key_id, created_at)",
  "create index usage_records_account_time on usage_records (account, created_at)",
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
