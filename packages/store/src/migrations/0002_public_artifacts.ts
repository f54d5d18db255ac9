import { type Kysely, sql } from "kysely";

/**
 * Public artifacts (SPEC §2.1: base models and training sets are public; the hidden validation set never
 * is): a published artifact is served to anyone by content id. Publishing is one-way: a record once public
 * stays public, and the uploader is kept for accountability.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table artifacts add column public boolean not null default false`.execute(db);
  await sql`alter table artifacts add column published_by text check (published_by ~ '^0x[0-9a-f]{40}$')`.execute(
    db,
  );
  await sql`alter table artifacts add constraint artifacts_public_has_publisher check (public = (published_by is not null))`.execute(
    db,
  );
}
