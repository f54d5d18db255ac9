import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatShareGpt, generateInstructionDataset } from "@flock/engine";
import { afterAll, describe, expect, it } from "vitest";
import type { DemoReport } from "./demo/runDemo.ts";
import { bufferIo } from "./io.ts";
import { main } from "./main.ts";

// `npm start` is `flock up --demo`: these tests run its code path on one home, as a newcomer meets it — on a
// busy default port, twice in a row, once with a failing chapter and once beside a process that keeps both
// cores busy — and, while the first network serves, every participant command and view a user tries next.
const home = mkdtempSync(join(tmpdir(), "flock-demo-"));
const ups: { controller: AbortController; done: Promise<number> }[] = [];
const hogs: ChildProcess[] = [];
let blocker: Server | undefined;
afterAll(async () => {
  for (const hog of hogs) hog.kill("SIGKILL");
  for (const up of ups) {
    up.controller.abort();
    await up.done;
  }
  blocker?.close();
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

async function waitFor<T>(
  probe: () => T | undefined,
  timeoutMs: number,
  what: () => string = () => "a condition",
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `flock up --demo …` in this process until it prints "serving on"; stopped later by aborting. */
async function upDemo(args: readonly string[], timeoutMs: number) {
  // One network per home: one a failed test left running is stopped first.
  for (const left of ups.splice(0)) {
    left.controller.abort();
    await left.done;
  }
  const controller = new AbortController();
  const io = bufferIo();
  const done = main(["--home", home, ...args], io, { signal: controller.signal });
  const up = { controller, done };
  ups.push(up);
  let exited: number | undefined;
  void done.then((code) => (exited = code));
  await waitFor(
    () => {
      if (exited !== undefined)
        throw new Error(`flock ${args.join(" ")} exited ${exited}: ${io.out()}\n${io.err().slice(-3000)}`);
      return /serving on \S+; press Ctrl-C to stop/.test(io.err()) ? true : undefined;
    },
    timeoutMs,
    () => `"serving on" from flock ${args.join(" ")}\n${io.err().slice(-3000)}`,
  );
  const stop = async () => {
    const anvilPid = Number(readFileSync(join(home, "chain", "anvil.pid"), "utf8").split(" ")[0]);
    controller.abort();
    const code = await done;
    ups.splice(ups.indexOf(up), 1);
    expect(existsSync(join(home, "network.json"))).toBe(false);
    expect(processAlive(anvilPid)).toBe(false);
    return code;
  };
  return { io, stop };
}

/** The demo's report printed by `up --demo --json` (stdout holds that one document). */
function reportOf(io: ReturnType<typeof bufferIo>): DemoReport {
  return JSON.parse(io.out()) as DemoReport;
}

/** A participant command against the home's running network, as a user types it. */
async function flock(...argv: string[]) {
  const io = bufferIo();
  const code = await main(["--home", home, ...argv], io, { signal: never });
  return { code, out: io.out(), err: io.err() };
}

/** The same with --json, which must succeed. */
async function flockJson(...argv: string[]) {
  const { code, out, err } = await flock("--json", ...argv);
  if (code !== 0) throw new Error(`flock ${argv.join(" ")} exited ${code}: ${out} ${err}`);
  return JSON.parse(out) as Record<string, unknown>;
}

function expectStoryTold(report: DemoReport) {
  // Three trainers with different recipes, each scored by three validators who agree exactly.
  expect(report.leaderboard).toHaveLength(3);
  expect(report.leaderboard.map((l) => l.rank).sort()).toEqual([0, 1, 2]);
  expect(new Set(report.leaderboard.map((l) => l.recipe))).toEqual(new Set(["careful", "balanced", "bold"]));
  for (const line of report.leaderboard) {
    expect(line.reports).toBe(3);
    expect(line.bpc).toBeGreaterThan(0);
    expect(line.improvement).toBeCloseTo(report.baseBpc - line.bpc!, 9);
  }
  expect(report.audit.verified).toBe(true);

  // The FL chapter: a round survives a dropout under SecAgg+, a poisoned round is voted down and its
  // proposers slashed, the task's epoch is audited, and the federated model beats its starting point.
  const fl = report.fl;
  expect(fl.audit.verified).toBe(true);
  // The round a party left mid-way still produced a candidate (SecAgg+ recovered the sum) and was voted on.
  expect(
    fl.rounds.some((r) => r.droppedOut.length > 0 && r.candidateBpc !== null && r.status !== "failed"),
  ).toBe(true);
  for (const round of fl.rounds.filter((r) => r.poisoned.length > 0)) {
    expect(round.status).toBe("rejected");
    for (const name of round.proposers) expect(round.slashes.map((s) => s.name)).toContain(name);
  }
  expect(fl.rounds.filter((r) => r.status === "accepted").length).toBeGreaterThan(0);
  // A LoRA of the Arena's winner: lower held-out bits per byte than the winner itself.
  expect(fl.startingModel).toContain("Arena winner");
  expect(fl.finalBpc).toBeLessThan(fl.baseBpc);

  // Moonbase: the winner is registered with a Hugging Face card naming its base, and answers the official
  // openai client, whole and streamed, with usage counted.
  const moonbase = report.moonbase;
  expect(moonbase.cardFrontMatter.some((line) => line.startsWith("base_model:"))).toBe(true);
  // Two questions to the Arena winner (one streamed), one to the federated global model.
  expect(moonbase.answers.map((a) => a.streamed)).toEqual([false, true, false]);
  expect(new Set(moonbase.answers.map((a) => a.model)).size).toBe(2);
  for (const answer of moonbase.answers) {
    expect(answer.promptTokens).toBeGreaterThan(0);
    expect(answer.completionTokens).toBeGreaterThan(0);
    expect(answer.answer.length).toBeGreaterThan(0);
    expect(BigInt(answer.cost)).toBeGreaterThan(0n);
  }
  // The next epoch collected exactly what the calls cost and paid it to the models' lineages: the winner's
  // trainer, its three validators and, through the trainer's pool, the delegator; the federation's
  // contributors; the audit checks it against the chain.
  // (amounts arrive as decimal strings in the --json report)
  expect(BigInt(moonbase.collected)).toBe(moonbase.answers.reduce((sum, a) => sum + BigInt(a.cost), 0n));
  const earned = new Map(moonbase.claims.map((c) => [c.name, c]));
  expect(earned.get(report.leaderboard.find((l) => l.rank === 0)!.name)?.roles).toContain("Arena trainer");
  for (const name of ["ed", "flo", "gus"]) expect(earned.get(name)?.roles).toContain("validator");
  expect(moonbase.claims.some((c) => c.roles.includes("FL contributor"))).toBe(true);
  if (report.leaderboard.find((l) => l.rank === 0)!.name === "di") {
    expect(earned.get("ada")?.roles).toEqual(["delegator"]);
  }
  const paid = moonbase.claims.reduce((sum, c) => sum + BigInt(c.amount), 0n);
  expect(paid).toBeGreaterThan(0n);
  expect(paid).toBeLessThanOrEqual(BigInt(moonbase.collected));
  expect(moonbase.audit.verified).toBe(true);
}

describe("npm start (flock up --demo) on one home, end to end (anvil, PGlite, HTTP on 127.0.0.1)", () => {
  let report: DemoReport;
  let first: Awaited<ReturnType<typeof upDemo>>;

  it("on a busy port: serves on a free one, tells the whole story, prints the settled epoch and keeps serving", async () => {
    // Something already listens on the port asked for (8780 by default): up takes a free one and says so.
    const busy = createServer();
    blocker = busy;
    await new Promise<void>((resolve) => busy.listen({ port: 0, host: "127.0.0.1" }, resolve));
    const busyPort = (busy.address() as { port: number }).port;
    first = await upDemo(["--json", "up", "--demo", "--quick", "--port", String(busyPort)], 240_000);
    const err = first.io.err();
    expect(err).toContain(`port ${busyPort} on 127.0.0.1 is in use; serving on a free port instead`);
    expect(err).toContain("300000 FLOCK unallocated in the reward pool");
    expect(err).toMatch(/measured [\d.]+ s per training step/);
    report = reportOf(first.io);
    expectStoryTold(report);
    const byRank = [...report.leaderboard].sort((a, b) => a.rank! - b.rank!);
    expect(byRank[0]!.bpc!).toBeLessThanOrEqual(byRank[2]!.bpc!);
    // Fine-tuning learned: the best adapter beats the base model alone on the same hidden set.
    expect(byRank[0]!.bpc!).toBeLessThan(report.baseBpc);

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
      const paid = report.claims
        .filter((c) => c.name === balance.name && c.paid !== undefined)
        .reduce((sum, c) => sum + BigInt(c.paid!), 0n);
      // ada, the task's creator, also funded its reward pool with 2,000 FLOCK.
      const funded = balance.name === "ada" ? 2000n * 10n ** 18n : 0n;
      expect(BigInt(balance.flockAfter) - BigInt(balance.flockBefore)).toBe(paid - funded);
    }
    expect(report.audit.checks.length).toBeGreaterThanOrEqual(8);
    expect(report.audit.checks.every((c) => c.ok)).toBe(true);
    // `up` follows the network and prints each epoch it settles, with the command that audits it.
    await waitFor(
      () =>
        first.io.err().includes(`epoch ${report.epoch} settled: task(s) ${report.taskId}, root posted in`)
          ? true
          : undefined,
      10_000,
      () => `the settled epoch line\n${first.io.err().slice(-2000)}`,
    );
    expect(first.io.err()).toContain(`(\`flock audit ${report.epoch}\`)`);
    const network = JSON.parse(readFileSync(join(home, "network.json"), "utf8")) as { apiUrl: string };
    expect(Number(new URL(network.apiUrl).port)).not.toBe(busyPort);
    expect(((await (await fetch(`${network.apiUrl}/health`)).json()) as { ok: boolean }).ok).toBe(true);
  }, 300_000);

  it("while it serves: epochs, leaderboard, locks, audit, and stake, train and validate refusals that name the fix", async () => {
    const audit = await flockJson("audit", String(report.epoch));
    expect(audit.verified).toBe(true);

    // Views: the settled epoch, the task's leaderboard with the base model's score (this home created it).
    const epochs = (await flockJson("epochs")) as unknown as {
      number: number;
      tasks: number[];
      txHash: string;
    }[];
    expect(epochs.find((e) => e.number === report.epoch)).toMatchObject({
      tasks: [report.taskId],
      txHash: report.epochTx,
    });
    const epochsText = await flock("epochs");
    expect(epochsText.out).toContain("recompute one with `flock audit <epoch>`");
    const board = await flock("task", "leaderboard", String(report.taskId));
    expect(board.code).toBe(0);
    expect(board.out).toContain(`base model without an adapter: ${report.baseBpc.toFixed(4)} BPC`);
    for (const line of report.leaderboard) expect(board.out).toContain(line.bpc!.toFixed(4));
    const boLocks = (await flockJson("locks", "--account", "bo")) as {
      locks: { lockId: string; gmAmount: string; unlocked: boolean }[];
    };
    expect(boLocks.locks).toHaveLength(1);
    expect(boLocks.locks[0]).toMatchObject({ gmAmount: "30100000000000000000000", unlocked: false });
    const boLock = boLocks.locks[0]!.lockId;
    const tasks = (await flockJson("task", "list")) as unknown as { id: number; status: string }[];
    expect(["finalized", "closed"]).toContain(tasks.find((t) => t.id === report.taskId)?.status);

    // Wallet actions of the default account (ada).
    const before = await flockJson("balance");
    const lock = await flockJson("lock", "1000", "--days", "365");
    expect(lock.gmAmount).toBe("3010000000000000000000");
    const after = await flockJson("balance");
    expect(BigInt(before.flock as string) - BigInt(after.flock as string)).toBe(10n ** 21n);
    expect(BigInt(after.gmFlock as string) - BigInt(before.gmFlock as string)).toBe(3010n * 10n ** 18n);
    await flockJson("pool", "5000", "--account", "bo");
    const delegation = await flockJson("delegate", "bo", "100");
    expect(delegation.delegation).toBe("100000000000000000000");

    // A task from files.
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
    const created = await flockJson(
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
      "--pool",
      "50",
    );
    rmSync(files, { recursive: true, force: true });
    expect(created.status).toBe("open");
    const taskId = String(created.id);

    // Stakes are checked before anything is sent, and each refusal names the command that fixes it.
    const refusals: [string[], string, string][] = [
      [
        ["stake", "99999", "500"],
        "error TASK_NOT_FOUND: there is no task 99999",
        "flock task list --status open",
      ],
      [
        ["stake", String(report.taskId), "500"],
        `error TASK_NOT_OPEN: task ${report.taskId} is`,
        "stake on an open task",
      ],
      [
        ["stake", taskId, "500", "--lock", "99999"],
        "error LOCK_NOT_FOUND: there is no lock 99999",
        "flock locks",
      ],
      [
        ["stake", taskId, "500", "--lock", boLock],
        `error LOCK_NOT_YOURS: lock ${boLock} belongs to`,
        "flock locks --account ada",
      ],
    ];
    for (const [argv, error, hint] of refusals) {
      const refused = await flock(
        ...argv,
        ...(argv.includes("--lock") ? [] : ["--lock", String(lock.lockId)]),
        "--role",
        "trainer",
      );
      expect(refused.code, refused.err).toBe(1);
      expect(refused.err).toContain(error);
      expect(refused.err).toContain(hint);
    }
    const staked = await flock("stake", taskId, "500", "--role", "trainer", "--lock", String(lock.lockId));
    expect(staked.out).toContain(`staked 500 gmFLOCK on task ${taskId} as trainer`);
    const added = await flock("stake", taskId, "100", "--role", "trainer", "--lock", String(lock.lockId));
    expect(added.code, added.err).toBe(0);
    expect(added.out).toContain(
      `added 100 gmFLOCK to your 500 at stake on task ${taskId} as trainer: 600 in all`,
    );

    const trained = await flockJson("train", "--once", "--recipe", "careful", "--steps", "2");
    expect((trained.tasks as Record<string, { phase: string; status: string }>)[taskId]).toMatchObject({
      phase: "uploaded",
      status: "accepted",
    });
    const shown = await flockJson("task", "show", taskId);
    expect((shown.submissions as { status: string }[]).map((s) => s.status)).toEqual(["accepted"]);

    // Nodes with nothing to do exit 1 and say what would give them work.
    const idleTrainer = await flock("train", "--once", "--account", "gus");
    expect(idleTrainer.code).toBe(1);
    expect(idleTrainer.err).toContain("error NOTHING_TO_TRAIN: trainer gus");
    expect(idleTrainer.err).toContain("flock stake <task> <amount> --role trainer --lock <id> --account gus");
    const idleValidator = await flock("validate", "--once", "--account", "bo");
    expect(idleValidator.code).toBe(1);
    expect(idleValidator.err).toContain("error NOTHING_TO_VALIDATE: validator bo");
    expect(idleValidator.err).toContain("--role validator");

    // Claiming again pays nothing new: the liquid rewards were claimed by the demo.
    const claims = (await flockJson(
      "claim",
      "--epoch",
      String(report.epoch),
      "--account",
      "bo",
    )) as unknown as {
      tree: string;
      error?: { code: string };
    }[];
    expect(claims.find((c) => c.tree === "liquid")?.error?.code).toBeDefined();

    // The coordinator closes a settled task on-chain (its dispute window starts): wait for it before stopping.
    const closed = async () =>
      ((await flockJson("task", "list")) as unknown as { id: number; status: string }[]).find(
        (t) => t.id === report.taskId,
      )?.status === "closed";
    const until = Date.now() + 30_000;
    while (!(await closed()) && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    expect(await closed()).toBe(true);
    // …and for its dispute window (5 s with --quick) to pass, so the next run may take the stakes back.
    await new Promise((r) => setTimeout(r, 6000));
    expect(await first.stop()).toBe(0);
  }, 180_000);

  it("a failing chapter leaves the network serving with the error on screen; Ctrl-C then exits 1 (DEMO_FAILED)", async () => {
    // A submission deadline of now: the coordinator refuses the demo's task, whatever the machine's speed.
    const failing = await upDemo(["up", "--demo", "--quick", "--port", "0", "--deadline", "0"], 120_000);
    const err = failing.io.err();
    // The first run's task closed and its dispute window passed: its stakes came back before anything else.
    expect(err).toContain(`bo   took back 3000 gmFLOCK staked on closed task ${report.taskId}`);
    expect(err).toContain(`gus  took back 5000 gmFLOCK staked on closed task ${report.taskId}`);
    expect(err).toMatch(/error TASK_DEADLINE_PASSED: /);
    expect(err).toContain("the demo stopped there; the network keeps serving");
    const network = JSON.parse(readFileSync(join(home, "network.json"), "utf8")) as { apiUrl: string };
    expect(((await (await fetch(`${network.apiUrl}/health`)).json()) as { ok: boolean }).ok).toBe(true);
    expect((await flock("task", "list")).code).toBe(0);
    expect(await failing.stop()).toBe(1);
    expect(failing.io.err()).toContain("error DEMO_FAILED: the demo failed (its error is printed above)");
    expect(failing.io.err()).toContain("run `npm start` again");
  }, 150_000);

  it("again on the same home beside a CPU hog on every core: a new task, locks, pool and base model reused", async () => {
    for (let core = 0; core < 2; core++) {
      hogs.push(spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
    }
    try {
      const again = await upDemo(["--json", "up", "--demo", "--quick", "--port", "0"], 420_000);
      const second = reportOf(again.io);
      expect(second.taskId).toBeGreaterThan(report.taskId);
      expect(second.epoch).toBeGreaterThan(report.epoch);
      expectStoryTold(second);
      const err = again.io.err();
      // σ was set by the first run and is under its cooldown: the pool is kept instead of failing.
      expect(err).toContain("kept from an earlier run");
      expect(err).toContain("reusing the base model");
      expect(err).toMatch(/reuses lock #\d+/);
      // The deadline came from a measurement on this (busy) machine.
      expect(err).toMatch(/measured [\d.]+ s per training step/);
      expect(await again.stop()).toBe(0);
    } finally {
      for (const hog of hogs) hog.kill("SIGKILL");
    }
  }, 480_000);
});
