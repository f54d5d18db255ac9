import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatShareGpt, generateInstructionDataset } from "@flock/engine";
import { afterAll, describe, expect, it } from "vitest";
import type { DemoReport } from "./demo/runDemo.ts";
import { bufferIo } from "./io.ts";
import { main } from "./main.ts";

const home = mkdtempSync(join(tmpdir(), "flock-demo-"));
const ups: { controller: AbortController; done: Promise<number> }[] = [];
afterAll(async () => {
  for (const up of ups) {
    up.controller.abort();
    await up.done;
  }
  rmSync(home, { recursive: true, force: true });
});

const never = new AbortController().signal;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("flock demo, end to end (anvil, PGlite, HTTP on 127.0.0.1)", () => {
  let report: DemoReport;

  it("runs the whole story and exits 0: ranked leaderboard, liquid claims paid on-chain, audited epoch", async () => {
    const io = bufferIo();
    const code = await main(["--home", home, "--json", "demo", "--quick"], io, { signal: never });
    if (code !== 0) throw new Error(`flock demo exited ${code}: ${io.out()}\n${io.err().slice(-3000)}`);
    report = JSON.parse(io.out()) as DemoReport;

    // Three trainers with different recipes, each scored by three validators who agree exactly.
    expect(report.leaderboard).toHaveLength(3);
    expect(report.leaderboard.map((l) => l.rank).sort()).toEqual([0, 1, 2]);
    expect(new Set(report.leaderboard.map((l) => l.recipe))).toEqual(
      new Set(["careful", "balanced", "bold"]),
    );
    for (const line of report.leaderboard) {
      expect(line.reports).toBe(3);
      expect(line.bpc).toBeGreaterThan(0);
    }
    const byRank = [...report.leaderboard].sort((a, b) => a.rank! - b.rank!);
    expect(byRank[0]!.bpc!).toBeLessThanOrEqual(byRank[2]!.bpc!);
    // Fine-tuning learned: the best adapter beats the base model alone, scored the same way on the same
    // hidden set, and each line's improvement is the base model's BPC minus its own.
    expect(report.baseBpc).toBeGreaterThan(0);
    expect(byRank[0]!.bpc!).toBeLessThan(report.baseBpc);
    for (const line of report.leaderboard)
      expect(line.improvement).toBeCloseTo(report.baseBpc - line.bpc!, 9);

    // Everyone with a reward claimed its liquid part on-chain; balances rose by exactly what was paid.
    const liquid = report.claims.filter((c) => c.tree === "liquid");
    // ada delegated to cy's pool, so she earns too.
    expect(new Set(liquid.map((c) => c.name))).toEqual(
      new Set(["ada", "bo", "cy", "di", "ed", "flo", "gus"]),
    );
    for (const claim of liquid) {
      expect(claim.error).toBeUndefined();
      expect(BigInt(claim.paid!)).toBeGreaterThan(0n);
    }
    for (const balance of report.balances) {
      // Vesting claims pay what has vested since the root was posted (seconds' worth, or nothing yet).
      const paid = report.claims
        .filter((c) => c.name === balance.name && c.paid !== undefined)
        .reduce((sum, c) => sum + BigInt(c.paid!), 0n);
      expect(BigInt(balance.flockAfter) - BigInt(balance.flockBefore)).toBe(paid);
    }
    expect(report.audit.verified).toBe(true);
    expect(report.audit.checks.length).toBe(8);
    // Everything the demo started is stopped.
    expect(existsSync(join(home, "network.json"))).toBe(false);
  }, 180_000);

  it("flock up resumes the same home; audit verifies the demo's epoch; lock, pool, delegate, task, stake, train and claim work on it", async () => {
    const controller = new AbortController();
    const upIo = bufferIo();
    const done = main(["--home", home, "up", "--port", "0"], upIo, { signal: controller.signal });
    ups.push({ controller, done });
    const network = await waitFor(() => {
      if (!existsSync(join(home, "network.json"))) return undefined;
      return JSON.parse(readFileSync(join(home, "network.json"), "utf8")) as { apiUrl: string; pid: number };
    }, 30_000);
    const health = (await (await fetch(`${network.apiUrl}/health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
    // The reward pool the first mint seeded (3·E0/10 = 300,000 FLOCK), less the demo epoch's 10,000.
    const rewardsLine = await waitFor(
      () =>
        upIo
          .err()
          .split("\n")
          .find((line) => line.includes("in the reward pool")),
      10_000,
    );
    expect(rewardsLine).toContain("290000 FLOCK unallocated in the reward pool");

    const audit = bufferIo();
    expect(
      await main(["--home", home, "--json", "audit", String(report.epoch)], audit, { signal: never }),
    ).toBe(0);
    const result = JSON.parse(audit.out()) as { verified: boolean; checks: { check: string; ok: boolean }[] };
    expect(result.verified).toBe(true);
    expect(result.checks.map((c) => c.check)).toContain("on-chain report hash");

    const tasks = bufferIo();
    expect(await main(["--home", home, "--json", "task", "list"], tasks, { signal: never })).toBe(0);
    const list = JSON.parse(tasks.out()) as { id: number; status: string }[];
    expect(["finalized", "closed"]).toContain(list.find((t) => t.id === report.taskId)?.status);

    // The participant commands against the running network, as a script would use them (--json).
    const cli = async (...argv: string[]) => {
      const io = bufferIo();
      const code = await main(["--home", home, "--json", ...argv], io, { signal: never });
      if (code !== 0) throw new Error(`flock ${argv.join(" ")} exited ${code}: ${io.out()} ${io.err()}`);
      return JSON.parse(io.out()) as Record<string, unknown>;
    };
    const before = await cli("balance", "ada");
    const lock = await cli("lock", "1000", "--days", "365", "--account", "ada");
    expect(lock.gmAmount).toBe("3010000000000000000000");
    const after = await cli("balance", "ada");
    expect(BigInt(before.flock as string) - BigInt(after.flock as string)).toBe(10n ** 21n);
    expect(BigInt(after.gmFlock as string) - BigInt(before.gmFlock as string)).toBe(3010n * 10n ** 18n);
    await cli("pool", "5000", "--account", "bo");
    const delegation = await cli("delegate", "bo", "100", "--account", "ada");
    expect(delegation.delegation).toBe("100000000000000000000");

    // A task from files, a stake backed by the lock just made, and one trainer pass of `flock train`.
    const files = mkdtempSync(join(tmpdir(), "flock-files-"));
    const models = readdirSync(join(home, "models"));
    writeFileSync(
      join(files, "train.jsonl"),
      formatShareGpt(generateInstructionDataset({ seed: 21, count: 24 }).map((e) => e.conversation)),
    );
    writeFileSync(
      join(files, "hidden.jsonl"),
      formatShareGpt(generateInstructionDataset({ seed: 22, count: 8 }).map((e) => e.conversation)),
    );
    const created = await cli(
      "task",
      "create",
      "--title",
      "from files",
      "--base-model",
      join(home, "models", models[0]!),
      "--train",
      join(files, "train.jsonl"),
      "--validation",
      join(files, "hidden.jsonl"),
      "--min-stake",
      "100",
    );
    rmSync(files, { recursive: true, force: true });
    expect(created.status).toBe("open");
    await cli(
      "stake",
      String(created.id),
      "500",
      "--role",
      "trainer",
      "--lock",
      String(lock.lockId),
      "--account",
      "ada",
    );
    const trained = await cli("train", "--once", "--account", "ada", "--recipe", "careful", "--steps", "2");
    expect(
      (trained.tasks as Record<string, { phase: string; status: string }>)[String(created.id)],
    ).toMatchObject({
      phase: "uploaded",
      status: "accepted",
    });
    const shown = await cli("task", "show", String(created.id));
    expect((shown.submissions as { status: string }[]).map((s) => s.status)).toEqual(["accepted"]);
    // Claiming again pays nothing new: the liquid rewards were claimed by the demo.
    const claims = (await cli("claim", "--epoch", String(report.epoch), "--account", "bo")) as unknown as {
      tree: string;
      error?: { code: string };
    }[];
    expect(claims.find((c) => c.tree === "liquid")?.error?.code).toBeDefined();

    const anvilPid = Number(readFileSync(join(home, "chain", "anvil.pid"), "utf8"));
    controller.abort();
    expect(await done).toBe(0);
    ups.length = 0;
    expect(existsSync(join(home, "network.json"))).toBe(false);
    expect(processAlive(anvilPid)).toBe(false);
  }, 90_000);

  it("a second demo on the same home tells the story again with a new task: locks, pool and base model reused", async () => {
    const io = bufferIo();
    const code = await main(["--home", home, "--json", "demo", "--quick"], io, { signal: never });
    if (code !== 0)
      throw new Error(`second flock demo exited ${code}: ${io.out()}\n${io.err().slice(-3000)}`);
    const again = JSON.parse(io.out()) as DemoReport;
    expect(again.taskId).toBeGreaterThan(report.taskId);
    expect(again.epoch).toBeGreaterThan(report.epoch);
    expect(again.leaderboard).toHaveLength(3);
    expect(again.audit.verified).toBe(true);
    // σ was set by the first run and is under its cooldown: the second run keeps the pool instead of failing.
    expect(io.err()).toContain("kept from an earlier run");
    expect(io.err()).toContain("reusing the base model");
    expect(io.err()).toMatch(/reuses lock #\d+/);
    // The deadline came from a measurement on this machine.
    expect(io.err()).toMatch(/measured [\d.]+ s per training step/);
  }, 180_000);
});
