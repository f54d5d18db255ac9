import { open, readFile, rm } from "node:fs/promises";
import { StorageError } from "@flock/core";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: string }).code === "EPERM";
  }
}

/**
 * Take the lock file that keeps a PGlite data folder to one open database: two PGlite instances on one
 * folder (two processes, or the same one twice) would corrupt it. A lock left by a process that died
 * (e.g. killed with SIGKILL) is taken over. Returns the release function.
 */
export async function lockDataDir(lockPath: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockPath, { force: true });
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
    }
    const holder = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
    if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new StorageError(
        "DATABASE_IN_USE",
        `the database in ${lockPath.replace(/\.lock$/, "")} is open in process ${holder}`,
        {
          hint:
            holder === process.pid
              ? "close the open database before opening it again"
              : "stop the other Flock process, or use another --home / data folder",
          details: { pid: holder },
        },
      );
    }
    await rm(lockPath, { force: true });
  }
  throw new StorageError("DATABASE_LOCK_FAILED", `could not take the database lock ${lockPath}`, {
    hint: "another process keeps taking the lock; stop it and retry",
  });
}
