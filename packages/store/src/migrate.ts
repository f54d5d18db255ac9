import { StorageError } from "@flock/core";
import type { Kysely } from "kysely";
import { Migrator } from "kysely/migration";
import { migrationProvider } from "./migrations/index.ts";
import type { Database } from "./schema.ts";

/** Apply every pending migration (a no-op when the schema is current); returns the names applied. */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider, migrationTableName: "flock_migrations" });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName;
    throw new StorageError(
      "MIGRATION_FAILED",
      `database migration ${failed ?? "(before any migration ran)"} failed`,
      {
        hint: "the database may be from a newer Flock or damaged; see the cause, restore a backup or use a fresh data folder",
        cause: error,
        details: failed === undefined ? {} : { migration: failed },
      },
    );
  }
  return (results ?? [])
    .filter((result) => result.status === "Success")
    .map((result) => result.migrationName);
}
