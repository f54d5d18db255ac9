import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase } from "@flock/store";
import { afterAll, describe, expect, it } from "vitest";
import { describeRun, randomKillPoint, runDemoProcess, seededRandom } from "./testing/demoKillLoop.ts";

const home = mkdtempSync(join(tmpdir(), "flock-crash-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

// A machine that loses power or a user who kills the terminal: `flock demo` dies by SIGKILL wherever it
// is, and the next start on the same home must carry on. `scripts/kill-loop.ts` does the same ten times.
describe("flock demo killed with SIGKILL at random points and started again on the same home", () => {
  it("each start carries on (never fails), no anvil outlives its starter, the last run finishes and no task is lost", async () => {
    const seed = Number(process.env.FLOCK_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const random = seededRandom(seed);
    const history: string[] = [];
    const story = () =>
      `kill points from seed ${seed} (FLOCK_KILL_SEED=${seed} replays them):\n${history.join("\n")}`;
    const announced: number[] = [];
    for (let kill = 0; kill < 3; kill++) {
      const point = randomKillPoint(random);
      const run = await runDemoProcess({ home, kill: point, timeoutMs: 200_000 });
      history.push(describeRun(run, point));
      // Killed where we chose, or done before it: a start that fails on what an earlier kill left is the bug.
      expect(run.outcome, `${story()}\n${run.stderr.slice(-3000)}`).not.toBe("failed");
      expect(run.anvilStopped, story()).not.toBe(false);
      announced.push(...run.tasks);
    }

    const last = await runDemoProcess({ home, timeoutMs: 300_000 });
    history.push(describeRun(last));
    expect(last.outcome, `${story()}\n${last.stderr.slice(-3000)}`).toBe("finished");
    expect(last.stdout).toMatch(/Audit of epoch \d+: verified \((\d+)\/\1 checks\)/);
    const [finalTask] = last.tasks;
    expect(finalTask).toBeDefined();
    // Nothing the demo left running: its anvil is stopped and the data folder released.
    expect(existsSync(join(home, "chain", "anvil.pid"))).toBe(false);
    expect(existsSync(join(home, "network.json"))).toBe(false);

    // Committed data is never lost: every task a killed run created is still in the coordinator's database,
    // and the last run's task came after them.
    const database = await openDatabase({ dataDir: home });
    try {
      const repos = createRepositories(database.db);
      for (const id of announced) {
        expect((await repos.tasks.get(id)).id, story()).toBe(id);
        expect(finalTask!).toBeGreaterThan(id);
      }
      expect((await repos.tasks.get(finalTask!)).status).toMatch(/finalized|closed/);
    } finally {
      await database.close();
    }
  }, 960_000);
});
