import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "./database.ts";
import { createRepositories } from "./repositories.ts";
import { newTask } from "./testing/fixtures.ts";
import { findPostgresBinaries, startPostgresServer } from "./testing/postgresServer.ts";

describe("openDatabase", () => {
  let dataDir = "";

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "flock-db-"));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  // One scenario, because every fresh PGlite folder costs seconds of initdb.
  it("PGlite data survives close and reopen, is opened once at a time, and restarts after a killed holder", async () => {
    const first = await openDatabase({ dataDir });
    const task = await createRepositories(first.db).tasks.create(newTask({ title: "persisted" }));
    await createRepositories(first.db).events.append("task.created", { taskId: task.id });
    await expect(openDatabase({ dataDir })).rejects.toMatchObject({
      name: "StorageError",
      code: "DATABASE_IN_USE",
    });
    await first.close();

    // A coordinator killed with SIGKILL leaves its lock file behind, naming a process that no longer exists.
    const deadPid = Number(
      execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]),
    );
    await writeFile(join(dataDir, "db.lock"), String(deadPid));

    const second = await openDatabase({ dataDir });
    try {
      const repos = createRepositories(second.db);
      expect((await repos.tasks.get(task.id)).title).toBe("persisted");
      expect((await repos.events.listAfter(0)).map((event) => event.type)).toEqual(["task.created"]);
      const next = await repos.tasks.create(newTask({ title: "after reopen" }));
      expect(next.id).toBeGreaterThan(task.id);
    } finally {
      await second.close();
    }
  });

  it("a process killed with SIGKILL mid-write loses no committed transaction", async () => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL("./testing/crashWriter.ts", import.meta.url)), dataDir],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const committed: number[] = [];
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.once("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`crash writer exited early with code ${code}`));
      });
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (text: string) => {
        for (const line of text.split("\n")) if (line !== "") committed.push(Number(line));
        if (committed.length >= 20) {
          child.kill("SIGKILL");
          resolve();
        }
      });
    });
    await new Promise((resolve) => child.once("exit", resolve));

    const database = await openDatabase({ dataDir });
    try {
      const repos = createRepositories(database.db);
      const stored = (await repos.tasks.list({ limit: 500 })).items.map((task) => task.id);
      expect(stored).toEqual(expect.arrayContaining(committed));
      // Every stored task has its event: each transaction landed whole or not at all.
      const events = await repos.events.listAfter(0, { limit: 500 });
      expect(events.map((event) => event.payload.taskId)).toEqual(stored);
    } finally {
      await database.close();
    }
  });

  // With CI set, missing PostgreSQL binaries fail the test instead of skipping it.
  it.skipIf(
    findPostgresBinaries() === undefined &&
      !(process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false"),
  )("a PostgreSQL that goes away mid-run turns queries into StorageError DATABASE_UNREACHABLE", async () => {
    const server = await startPostgresServer(findPostgresBinaries()!);
    const database = await openDatabase({ databaseUrl: server.url });
    try {
      const repos = createRepositories(database.db);
      const task = await repos.tasks.create(newTask());
      await server.stop();
      await expect(repos.tasks.get(task.id)).rejects.toMatchObject({
        name: "StorageError",
        code: "DATABASE_UNREACHABLE",
      });
    } finally {
      await database.close();
      await server.stop();
    }
  });

  it("an unreachable PostgreSQL is a StorageError with a hint about DATABASE_URL", async () => {
    await expect(openDatabase({ databaseUrl: "postgres://nobody@127.0.0.1:1/none" })).rejects.toMatchObject({
      name: "StorageError",
      code: "DATABASE_UNREACHABLE",
      hint: expect.stringContaining("DATABASE_URL"),
    });
  });
});
