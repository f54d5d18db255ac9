import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite, types as pgliteTypes } from "@electric-sql/pglite";
import { StorageError } from "@flock/core";
import { Kysely, PostgresDialect, sql } from "kysely";
import { PGliteDialect } from "kysely-pglite-dialect";
import pg from "pg";
import { reportConnectionErrors } from "./connectionErrors.ts";
import { lockDataDir } from "./dataDirLock.ts";
import { migrateToLatest } from "./migrate.ts";
import type { Database } from "./schema.ts";

/** Where the database lives: a PGlite data folder (the embedded default) or a PostgreSQL URL. */
export type DatabaseLocation = { dataDir: string } | { databaseUrl: string };

export interface DatabaseOptions {
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
}

export type DialectName = "pglite" | "postgres";

/** An open database: the Kysely instance, which dialect backs it, and how to close it. */
export interface FlockDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

const INT8_OID = 20;

/** bigint columns (sizes, block numbers, event ids) read as numbers, refusing values a double cannot hold. */
function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new StorageError("INT8_UNSAFE", `database integer ${text} does not fit a JavaScript number`, {
      hint: "this column holds counts, sizes or block numbers; a value this large means corrupt data",
    });
  }
  return value;
}

/**
 * Open the Flock database: PGlite persisted in `<dataDir>/db`, or PostgreSQL at `databaseUrl` through `pg`.
 * Migrations run on open. PGlite has a single connection, so queries and transactions are serialized:
 * inside `db.transaction().execute(fn)` use only the transaction handle, never the outer `db`.
 */
export async function openDatabase(
  location: DatabaseLocation,
  options: DatabaseOptions = {},
): Promise<FlockDatabase> {
  const opened =
    "databaseUrl" in location ? openPostgres(location.databaseUrl) : await openPglite(location.dataDir);
  await checkConnection(opened);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(opened.db);
    } catch (error) {
      await opened.close();
      throw error;
    }
  }
  return opened;
}

async function openPglite(dataDir: string): Promise<FlockDatabase> {
  const folder = join(dataDir, "db");
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (cause) {
    throw new StorageError("DATABASE_OPEN_FAILED", `could not create the data folder ${dataDir}`, {
      hint: "check the folder's parent exists and is writable",
      cause,
    });
  }
  const unlock = await lockDataDir(`${folder}.lock`);
  let client: PGlite;
  try {
    client = await PGlite.create({
      dataDir: folder,
      parsers: { [pgliteTypes.INT8]: (text: string) => parseInt8(text) },
    });
  } catch (cause) {
    await unlock();
    throw new StorageError("DATABASE_OPEN_FAILED", `could not open the embedded database in ${folder}`, {
      hint: "check the folder is writable; if it was damaged, restore a backup or start a fresh data folder",
      cause,
    });
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return {
    db,
    dialect: "pglite",
    close: async () => {
      try {
        await db.destroy();
      } finally {
        await unlock();
      }
    },
  };
}

function openPostgres(databaseUrl: string): FlockDatabase {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A dropped idle connection is replaced on the next query, which reports any lasting failure itself.
  pool.on("error", () => undefined);
  const db = new Kysely<Database>({ dialect: reportConnectionErrors(new PostgresDialect({ pool })) });
  return { db, dialect: "postgres", close: () => db.destroy() };
}

/** Fail fast on a wrong URL: a query now, rather than the first request's. */
async function checkConnection(opened: FlockDatabase): Promise<void> {
  try {
    await sql`select 1`.execute(opened.db);
  } catch (error) {
    await opened.close();
    throw error;
  }
}
