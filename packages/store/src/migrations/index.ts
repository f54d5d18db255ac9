import type { Migration, MigrationProvider } from "kysely/migration";
import * as initial from "./0001_initial.ts";

/**
 * Every migration, in order. Names sort in application order; never rename or edit a shipped
 * migration: add the next one.
 */
export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
};

/** Kysely's migration provider over the in-code list (no file-system scanning). */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
