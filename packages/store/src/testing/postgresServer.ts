import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdir, mkdtemp, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { StorageError } from "@flock/core";
import pg from "pg";

const run = promisify(execFile);

/** A throwaway PostgreSQL cluster started for a test run. */
export interface PostgresServer {
  /** A connection URL for a fresh, empty database in the cluster. */
  url: string;
  stop(): Promise<void>;
}

/** The newest `/usr/lib/postgresql/<version>/bin` holding `initdb` and `pg_ctl`, or undefined. */
export function findPostgresBinaries(root = "/usr/lib/postgresql"): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** uid and gid of the `postgres` system user (initdb and postgres refuse to run as root). */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  try {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    return { uid, gid };
  } catch (cause) {
    throw new StorageError(
      "POSTGRES_USER_MISSING",
      "running as root but there is no `postgres` system user",
      {
        hint: "install Debian's postgresql package (it creates the user) or run the tests as a normal user",
        cause,
      },
    );
  }
}

/** util-linux's runuser lives in an sbin folder that a non-login PATH may leave out. */
function runuserPath(): string {
  return ["/usr/sbin/runuser", "/sbin/runuser"].find((path) => existsSync(path)) ?? "runuser";
}

/**
 * Start a throwaway PostgreSQL cluster: initdb into a temp folder, listen on 127.0.0.1 at a free port with
 * its unix socket inside the folder, create database `flock_test`. As root, the cluster runs as the
 * `postgres` user through `runuser`. `stop()` shuts it down and deletes the folder.
 */
export async function startPostgresServer(bin: string): Promise<PostgresServer> {
  const asRoot = process.getuid?.() === 0;
  // As root the cluster runs as `postgres`, which must be able to reach the folder: use /tmp itself.
  const dir = await mkdtemp(join(asRoot ? "/tmp" : tmpdir(), "flock-pg-"));
  const data = join(dir, "data");
  const socketDir = join(dir, "socket");
  await mkdir(socketDir);
  const runAs = asRoot ? [runuserPath(), "-u", "postgres", "--"] : [];
  if (asRoot) {
    const { uid, gid } = await postgresUser();
    await chown(dir, uid, gid);
    await chown(socketDir, uid, gid);
  }
  const exec = (file: string, args: string[]) => {
    const [command, ...rest] = [...runAs, join(bin, file), ...args];
    return run(command!, rest);
  };
  // A watchdog shell holds a pipe from this process: when the pipe closes (stop() ends it, or this
  // process dies without cleaning up) it stops the cluster and deletes the folder, so no server leaks.
  const stopCommand = [...runAs, join(bin, "pg_ctl"), "stop", "-D", data, "-m", "immediate", "-w"];
  const watchdog = spawn(
    "sh",
    ["-c", 'cat >/dev/null; "$@" >/dev/null 2>&1; rm -rf "$0"', dir, ...stopCommand],
    { stdio: ["pipe", "ignore", "ignore"] },
  );
  const exited = new Promise<void>((resolve) => watchdog.once("exit", () => resolve()));
  const stop = async () => {
    watchdog.stdin.end();
    await exited;
  };
  const port = await freePort();
  try {
    await exec("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    // Durability does not matter for a throwaway test cluster; speed does.
    const options = `-h 127.0.0.1 -p ${port} -k ${socketDir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    await exec("pg_ctl", [
      "start",
      "-D",
      data,
      "-w",
      "-t",
      "60",
      "-l",
      join(dir, "server.log"),
      "-o",
      options,
    ]);
    const admin = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
    await admin.connect();
    try {
      await admin.query("create database flock_test");
    } finally {
      await admin.end();
    }
    return { url: `postgres://postgres@127.0.0.1:${port}/flock_test`, stop };
  } catch (cause) {
    const log = await readFile(join(dir, "server.log"), "utf8").catch(() => "");
    await stop();
    throw new StorageError("POSTGRES_START_FAILED", `could not start a test PostgreSQL from ${bin}`, {
      hint: "check that initdb and pg_ctl work, or set FLOCK_TEST_DATABASE_URL to an existing database",
      details: { serverLog: log.slice(-2000) },
      cause,
    });
  }
}
