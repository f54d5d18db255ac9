import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { approve, getStake, lockFlock, stake } from "@flock/chain";
import { parseFlock } from "@flock/core";
import {
  createRng,
  formatShareGpt,
  generateInstructionDataset,
  initLlamaParameters,
  llamaConfig,
} from "@flock/engine";
import {
  encodeBaseModel,
  engineEvaluationBackend,
  engineTrainingBackend,
  recipe,
  TrainerDaemon,
  ValidatorDaemon,
} from "@flock/node";
import { afterAll, describe, expect, it } from "vitest";
import { seedDataDir } from "../../server/src/testing/templateDataDir.ts";
import { auditEpoch } from "./commands/audit.ts";
import { createTask } from "./commands/task.ts";
import type { CommandContext } from "./context.ts";
import { ensureHome } from "./home.ts";
import { bufferIo } from "./io.ts";
import { main } from "./main.ts";
import { participant } from "./network/participant.ts";
import { Output } from "./output.ts";

const bin = fileURLToPath(new URL("../bin/flock.js", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "flock-restart-"));
const home = ensureHome(root);
// A migrated empty database, copied instead of created (what the first start would make, seconds sooner).
await seedDataDir(root);
const io = bufferIo();
const ctx: CommandContext = {
  io,
  output: new Output(io, { json: false }),
  home,
  signal: new AbortController().signal,
};
const children: ChildProcess[] = [];
const never = new AbortController().signal;
let log = "";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${log.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** `flock up` in its own process; resolves once its network.json names it. */
async function startUp(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bin, "--home", root, "up", "--port", "0"], {
    env: { ...process.env, FLOCK_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  child.stdout?.on("data", (d) => (log += d));
  child.stderr?.on("data", (d) => (log += d));
  await until(
    () => {
      if (!existsSync(home.networkFile)) return undefined;
      const info = JSON.parse(readFileSync(home.networkFile, "utf8")) as { pid: number };
      return info.pid === child.pid ? info : undefined;
    },
    60_000,
    "flock up",
  );
  return child;
}

afterAll(async () => {
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of running) child.kill("SIGTERM");
  await Promise.all(running.map((c) => new Promise((resolve) => c.once("exit", resolve))));
  const anvilPid = existsSync(join(home.chainDir, "anvil.pid"))
    ? Number(readFileSync(join(home.chainDir, "anvil.pid"), "utf8").trim().split(/\s+/)[0])
    : 0;
  if (anvilPid > 0 && alive(anvilPid)) process.kill(anvilPid, "SIGTERM");
  rmSync(root, { recursive: true, force: true });
});

describe("the coordinator killed with SIGKILL mid-validation", () => {
  it("restarts with no submission, score or stake lost, and the task completes and audits", async () => {
    let up = await startUp();
    // Participants read the network's address from the home; it changes when `flock up` restarts.
    let people = new Map(["ada", "bo", "cy", "ed", "flo", "gus"].map((n) => [n, participant(home, n)]));
    const who = (name: string) => people.get(name)!;
    const config = llamaConfig({
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      vocabSize: 261,
      maxPositions: 96,
    });
    const jsonl = (seed: number, count: number) =>
      new TextEncoder().encode(
        formatShareGpt(generateInstructionDataset({ seed, count }).map((e) => e.conversation)),
      );
    const deadline = Date.now() + 15_000;
    // The local chain's admin holds the operator role: its emission-paid task opens at once (SPEC §3).
    const task = await createTask(ctx, "admin", {
      title: "restart",
      description: "",
      baseModel: encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) }),
      trainingSet: jsonl(1, 32),
      validationSet: jsonl(2, 8),
      contextLength: 96,
      maxTrainableParams: 100_000,
      submissionDeadline: new Date(deadline),
      endTime: new Date(deadline + 25_000),
      rewardWeight: 1n,
      minStake: parseFlock("100"),
      minLockDays: 0,
    });
    for (const [name, role] of [
      ["bo", "trainer"],
      ["cy", "trainer"],
      ["ed", "validator"],
      ["flo", "validator"],
      ["gus", "validator"],
    ] as const) {
      const amount = parseFlock("1000");
      await approve(who(name).chain, { token: "FLOCK", spender: "GmFlock", amount });
      const { lockId, gmAmount } = await lockFlock(who(name).chain, { amount, days: 365 });
      await approve(who(name).chain, { token: "gmFLOCK", spender: "TaskStaking", amount: gmAmount });
      await stake(who(name).chain, { taskId: BigInt(task.id), role, amount: gmAmount, lockId });
    }
    for (const [name, r] of [
      ["bo", "careful"],
      ["cy", "bold"],
    ] as const) {
      await new TrainerDaemon({
        coordinator: who(name).coordinator,
        backend: engineTrainingBackend(),
        recipe: recipe(r, { steps: 3, batchSize: 4, seqLen: 96 }),
        stateDir: join(home.nodesDir, `trainer-${name}`),
      }).runOnce();
    }
    const submissions = await who("ada").api.submissions.list(task.id);
    expect(submissions.map((s) => s.status)).toEqual(["accepted", "accepted"]);

    // After the deadline one validator commits a score for everything it was given, then the coordinator dies.
    // A validator's state (its committed scores' salts) lives where `flock validate` keeps it.
    const validator = (name: string) =>
      new ValidatorDaemon({
        coordinator: who(name).coordinator,
        backend: engineEvaluationBackend(),
        stateDir: join(home.nodesDir, `validator-${who(name).address}`),
        maxArtifactBytes: 1_000_000,
      });
    await until(
      async () => ((await who("ed").api.assignments.list("open")).length > 0 ? true : undefined),
      30_000,
      "assignments",
    );
    expect(await validator("ed").runOnce()).toBe(2);
    // Commit-reveal: nothing of a score is visible before the reveals close, but the commitments are recorded.
    const committedBefore = (await who("ed").api.assignments.list("committed")).map((a) => a.id).sort();
    expect(committedBefore).toHaveLength(2);
    expect((await who("ada").api.tasks.leaderboard(task.id)).map((e) => e.reports)).toEqual([0, 0]);

    const anvilPid = Number(readFileSync(join(home.chainDir, "anvil.pid"), "utf8").trim().split(/\s+/)[0]);
    up.kill("SIGKILL");
    await new Promise((resolve) => up.once("exit", resolve));
    // The embedded chain ran under a watchdog of the killed process: it stops by itself (saving its state).
    await until(() => (alive(anvilPid) ? undefined : true), 30_000, "anvil to stop");

    up = await startUp();
    people = new Map(["ada", "bo", "cy", "ed", "flo", "gus"].map((n) => [n, participant(home, n)]));
    const after = await who("ada").api.submissions.list(task.id);
    expect(after.map((s) => [s.id, s.status, s.commitHash])).toEqual(
      submissions.map((s) => [s.id, s.status, s.commitHash]),
    );
    expect((await who("ed").api.assignments.list("committed")).map((a) => a.id).sort()).toEqual(
      committedBefore,
    );
    for (const name of ["bo", "cy", "ed", "flo", "gus"]) {
      const onChain = await getStake(who(name).chain, {
        taskId: BigInt(task.id),
        account: who(name).address as `0x${string}`,
      });
      expect(onChain.amount).toBe(3010n * 10n ** 18n);
    }

    // The other validators finish; the task settles on schedule and its epoch audits.
    // gus runs one pass of the `flock validate` command; flo runs a daemon.
    const validateIo = bufferIo();
    expect(
      await main(["--home", root, "--json", "validate", "--once", "--account", "gus"], validateIo, {
        signal: never,
      }),
    ).toBe(0);
    const gus = JSON.parse(validateIo.out()) as { assignments: Record<string, { outcome: string }> };
    expect(Object.values(gus.assignments).map((a) => a.outcome)).toEqual(["committed", "committed"]);
    // ed and gus reveal after the task's end; flo commits and reveals as a daemon.
    const rest = [validator("flo"), validator("ed"), validator("gus")];
    for (const v of rest) v.start(300);
    try {
      const epoch = await until(
        async () => (await who("ada").api.epochs.list({ taskId: task.id })).find((e) => e.txHash !== null),
        90_000,
        "the epoch to be posted",
      );
      expect((await who("ada").api.tasks.leaderboard(task.id)).map((e) => e.reports)).toEqual([3, 3]);
      const audit = await auditEpoch(ctx, epoch.number);
      expect(audit.checks.every((c) => c.ok)).toBe(true);
    } finally {
      for (const v of rest) await v.stop();
    }
    up.kill("SIGINT");
    expect(await new Promise((resolve) => up.once("exit", resolve))).toBe(0);
  }, 170_000);
});
