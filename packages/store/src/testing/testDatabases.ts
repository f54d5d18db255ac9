import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DialectName, type FlockDatabase, openDatabase } from "../database.ts";
import { findPostgresBinaries, type PostgresServer, startPostgresServer } from "./postgresServer.ts";

/** Every table the migrations create, children before parents, for wiping between tests. */
const TABLES = [
  "usage_records",
  "models",
  "fl_messages",
  "fl_rounds",
  "fl_participants",
  "fl_tasks",
  "epoch_tasks",
  "stake_snapshots",
  "task_snapshots",
  "task_funding",
  "refereed_scores",
  "scores",
  "assignments",
  "submissions",
  "rewards",
  "slashes",
  "epochs",
  "stakes",
  "tasks",
  "delegations",
  "delegation_changes",
  "chain_cursors",
  "request_nonces",
  "jobs",
  "chain_writes",
  "events",
  "artifacts",
  "pool_sigmas",
  "chain_slashes",
  "credit_accounts",
] as const;

/** Whether and how the PostgreSQL half of a dialect test loop can run here. */
export type PostgresAvailability =
  | { kind: "url"; url: string }
  | { kind: "binaries"; bin: string }
  | { kind: "missing"; message: string; required: boolean };

/**
 * Where a test PostgreSQL comes from: FLOCK_TEST_DATABASE_URL (a database the tests may wipe), else
 * Debian's binaries under /usr/lib/postgresql. Missing both is a failure on CI and a skip elsewhere.
 */
export function postgresAvailability(
  env: NodeJS.ProcessEnv = process.env,
  binariesRoot = "/usr/lib/postgresql",
): PostgresAvailability {
  const url = env.FLOCK_TEST_DATABASE_URL;
  if (url !== undefined && url !== "") return { kind: "url", url };
  const bin = findPostgresBinaries(binariesRoot);
  if (bin !== undefined) return { kind: "binaries", bin };
  return {
    kind: "missing",
    required: env.CI !== undefined && env.CI !== "" && env.CI !== "false",
    message:
      "no PostgreSQL for the store tests: install Debian's postgresql package (initdb and pg_ctl under " +
      "/usr/lib/postgresql/<version>/bin) or set FLOCK_TEST_DATABASE_URL to a database the tests may wipe",
  };
}

/** A database opened for a test run, and how to dispose of it and everything started for it. */
export interface TestDatabase extends FlockDatabase {
  /** Delete every row (ids keep counting: tests must not assume them). */
  wipe(): Promise<void>;
  dispose(): Promise<void>;
}

/** Open a migrated test database on one dialect: PGlite in a temp folder, or a real PostgreSQL. */
export async function openTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  let cleanup: () => Promise<void>;
  let database: FlockDatabase;
  if (dialect === "pglite") {
    const dir = await mkdtemp(join(tmpdir(), "flock-pglite-"));
    cleanup = () => rm(dir, { recursive: true, force: true });
    database = await openDatabase({ dataDir: dir }).catch(async (error: unknown) => {
      await cleanup();
      throw error;
    });
  } else {
    const availability = postgresAvailability();
    let server: PostgresServer | undefined;
    let url: string;
    switch (availability.kind) {
      case "url":
        url = availability.url;
        break;
      case "binaries":
        server = await startPostgresServer(availability.bin);
        url = server.url;
        break;
      case "missing":
        throw new Error(availability.message);
      default:
        throw availability satisfies never;
    }
    cleanup = async () => {
      await server?.stop();
    };
    database = await openDatabase({ databaseUrl: url }).catch(async (error: unknown) => {
      await cleanup();
      throw error;
    });
  }
  return {
    ...database,
    // DELETE rather than TRUNCATE: on tables this small it is several times faster, above all on PGlite.
    wipe: async () => {
      await database.db.transaction().execute(async (trx) => {
        for (const table of TABLES) await trx.deleteFrom(table).execute();
      });
    },
    dispose: async () => {
      await database.close();
      await cleanup();
    },
  };
}
