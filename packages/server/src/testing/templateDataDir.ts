import { createHash } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDatabase } from "@flock/store";

/**
 * A fresh PGlite data folder for a test, copied from a migrated template instead of created from scratch:
 * creating one (initdb and every migration) costs seconds of CPU, copying its ~40 MB a fraction of one. The
 * copy is an ordinary closed PGlite folder with the schema at the latest migration and no rows a test wrote —
 * what `openDatabase` leaves in a new folder — and each test gets its own, so tests stay isolated.
 *
 * The template lives under the repository's `node_modules/.cache`, keyed by the store's migrations, its
 * migrator and the PGlite version, so a changed migration makes a new template; workers that race to make it
 * each build their own and one rename wins.
 */

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));
const STORE_SRC = join(REPO, "packages", "store", "src");
const CACHE = join(REPO, "node_modules", ".cache", "flock-pglite-template");

let template: Promise<string> | undefined;

async function templateKey(): Promise<string> {
  const hash = createHash("sha256");
  const migrations = join(STORE_SRC, "migrations");
  for (const name of (await readdir(migrations)).sort()) {
    hash.update(name).update(await readFile(join(migrations, name)));
  }
  hash.update(await readFile(join(STORE_SRC, "migrate.ts")));
  const require = createRequire(join(STORE_SRC, "database.ts"));
  const entry = require.resolve("@electric-sql/pglite");
  const pglite = join(entry.slice(0, entry.lastIndexOf("@electric-sql/pglite")), "@electric-sql/pglite");
  hash.update(
    (JSON.parse(await readFile(join(pglite, "package.json"), "utf8")) as { version: string }).version,
  );
  return hash.digest("hex").slice(0, 16);
}

async function buildTemplate(): Promise<string> {
  const target = join(CACHE, await templateKey());
  try {
    await readdir(join(target, "db"));
    return target;
  } catch {
    // Not built yet: build it below.
  }
  await mkdir(CACHE, { recursive: true });
  const building = await mkdtemp(join(CACHE, "building-"));
  const database = await openDatabase({ dataDir: building });
  await database.close();
  try {
    await rename(building, target);
  } catch (error) {
    // Another worker renamed its template first: use that one.
    await rm(building, { recursive: true, force: true });
    if (
      (error as NodeJS.ErrnoException).code !== "ENOTEMPTY" &&
      (error as NodeJS.ErrnoException).code !== "EEXIST"
    )
      throw error;
  }
  return target;
}

/**
 * Copy the migrated template's database into `<dataDir>/db` (folders created if missing). The database folder
 * must not hold anything yet: seeding never overwrites a database.
 */
export async function seedDataDir(dataDir: string): Promise<string> {
  template ??= buildTemplate();
  const target = join(dataDir, "db");
  const existing = await readdir(target).catch(() => []);
  if (existing.length > 0) throw new Error(`${target} already holds a database; seed only a new data folder`);
  await mkdir(dataDir, { recursive: true });
  await cp(join(await template, "db"), target, { recursive: true, force: false });
  return dataDir;
}

/** A new temp folder holding a copy of the migrated template's database. */
export async function freshDataDir(prefix = "flock-server-"): Promise<string> {
  return seedDataDir(await mkdtemp(join(tmpdir(), prefix)));
}
