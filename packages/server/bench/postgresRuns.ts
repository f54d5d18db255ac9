import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { findPostgresBinaries, postgresAvailability, startPostgresServer } from "@flock/store/testing";
import { benchDatabase, type DatabaseFigures } from "./coordinatorSections.ts";
import type { LoadClient } from "./loadClient.ts";
import { started } from "./resources.ts";
import { log } from "./stats.ts";

const run = promisify(execFile);

/** Run SQL with the cluster's own `psql` (the server package does not depend on a PostgreSQL client). */
async function psql(bin: string, url: string, query: string): Promise<string> {
  return (await run(join(bin, "psql"), [url, "-XAtc", query])).stdout.trim();
}

/**
 * The test harness starts its cluster with `-c fsync=off -c synchronous_commit=off -c full_page_writes=off`
 * (command-line settings, which ALTER SYSTEM cannot override); a coordinator's PostgreSQL would never run
 * like that. Restart the same cluster (same folder, address and socket, so the harness's watchdog still
 * stops it) with PostgreSQL's defaults, so that a commit waits for its WAL flush as in production.
 */
async function restartDurable(bin: string, url: string): Promise<void> {
  const data = await psql(bin, url, "show data_directory");
  const port = await psql(bin, url, "show port");
  const socketDir = await psql(bin, url, "show unix_socket_directories");
  const runAs =
    process.getuid?.() === 0
      ? [
          ["/usr/sbin/runuser", "/sbin/runuser"].find((path) => existsSync(path)) ?? "runuser",
          "-u",
          "postgres",
          "--",
        ]
      : [];
  const [command, ...args] = [
    ...runAs,
    join(bin, "pg_ctl"),
    "restart",
    "-D",
    data,
    "-w",
    "-t",
    "60",
    "-m",
    "fast",
    "-l",
    join(dirname(data), "server-durable.log"),
    "-o",
    `-h 127.0.0.1 -p ${port} -k ${socketDir}`,
  ];
  await run(command!, args);
}

async function postgresSettings(bin: string, url: string): Promise<Record<string, string>> {
  const settings: Record<string, string> = {};
  for (const name of ["server_version", "fsync", "synchronous_commit", "full_page_writes"])
    settings[name] = await psql(bin, url, `show ${name}`);
  return settings;
}

/** One database the coordinator sections ran on. */
export interface DatabaseRun {
  label: string;
  key: string;
  note: string;
  figures: DatabaseFigures;
}

/** PostgreSQL's rows: as the harness starts it (fsync off) and restarted with its defaults (fsync on). */
export async function benchPostgres(client: LoadClient): Promise<{ runs: DatabaseRun[]; skipped?: string }> {
  const availability = postgresAvailability();
  switch (availability.kind) {
    case "missing":
      return { runs: [], skipped: availability.message };
    case "url": {
      const bin = findPostgresBinaries();
      const settings = bin === undefined ? {} : await postgresSettings(bin, availability.url);
      const figures = await benchDatabase({ kind: "postgres", url: availability.url }, client);
      const note = `FLOCK_TEST_DATABASE_URL as configured ${JSON.stringify(settings)}`;
      return { runs: [{ label: "PostgreSQL", key: "postgres", note, figures }] };
    }
    case "binaries": {
      log("starting PostgreSQL");
      const bin = availability.bin;
      const server = await startPostgresServer(bin);
      const stop = started("PostgreSQL", () => server.stop());
      const runs: DatabaseRun[] = [];
      const fast = await postgresSettings(bin, server.url);
      runs.push({
        label: "PostgreSQL fsync off",
        key: "postgresFsyncOff",
        note: `the test harness's settings ${JSON.stringify(fast)}`,
        figures: await benchDatabase({ kind: "postgres", url: server.url }, client),
      });
      log("restarting PostgreSQL with its default durability");
      await restartDurable(bin, server.url);
      await psql(bin, server.url, "create database flock_durable");
      const url = server.url.replace(/\/flock_test$/, "/flock_durable");
      const durable = await postgresSettings(bin, url);
      runs.push({
        label: "PostgreSQL durable",
        key: "postgres",
        note: `restarted with PostgreSQL's defaults ${JSON.stringify(durable)}`,
        figures: await benchDatabase({ kind: "postgres", url }, client),
      });
      await stop();
      return { runs };
    }
    default:
      throw availability satisfies never;
  }
}
