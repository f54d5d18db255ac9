import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `flock demo` in a child process, killed with SIGKILL at a chosen point of its story and started again on
 * the same home: what a user does who pulls the plug (or whose machine does). Used by the crash-resume test
 * and by `scripts/kill-loop.ts`.
 */

const BIN = fileURLToPath(new URL("../../bin/flock.js", import.meta.url));

/** The demo's chapters as it prints them (`== <chapter>`), in order; a kill point is one of them or "start". */
export const DEMO_CHAPTERS = [
  "base model",
  "participants lock FLOCK",
  "a delegator backs",
  "task from the synthetic",
  "trainers and validators stake",
  "trainers fine-tune",
  "deadline: validators evaluate",
  "consensus, rewards",
  "everyone claims",
  "audit:",
] as const;

/** Where to kill: `delayMs` after the chapter's heading appears ("start": after the process started). */
export interface KillPoint {
  chapter: "start" | (typeof DEMO_CHAPTERS)[number];
  delayMs: number;
}

export interface DemoRun {
  /** killed: by us at the kill point; finished: exit 0; failed: any other exit (or the time limit). */
  outcome: "killed" | "finished" | "failed";
  exitCode: number | null;
  seconds: number;
  /** The last chapter heading the run printed ("start" before the first). */
  lastChapter: string;
  /** The last `error CODE: …` line (and its hint) of a failed run. */
  error?: string;
  /** After a kill: the anvil the run had started stopped within the grace period (undefined: none started). */
  anvilStopped?: boolean;
  /** Task ids the run announced (`task N open`). */
  tasks: number[];
  stdout: string;
  stderr: string;
}

/**
 * A kill point drawn from `random` (a function returning [0, 1)): a chapter, then up to 3 s into it — mostly
 * the first few hundred milliseconds (u³ · 3 s), since the last chapters (claims, audit) last about a second.
 */
export function randomKillPoint(random: () => number): KillPoint {
  const chapters = ["start", ...DEMO_CHAPTERS] as const;
  const chapter = chapters[Math.floor(random() * chapters.length)]!;
  return { chapter, delayMs: Math.floor(random() ** 3 * 3000) };
}

/** A small seeded generator (mulberry32), so a failing sequence of kill points can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The anvil pid a process recorded in the home's chain lock (`<anvil pid> <owner pid>`), if it is that owner's. */
function anvilOf(home: string, owner: number): number | undefined {
  const path = join(home, "chain", "anvil.pid");
  if (!existsSync(path)) return undefined;
  const [anvil, recordedOwner] = readFileSync(path, "utf8").trim().split(/\s+/).map(Number);
  return recordedOwner === owner && anvil !== undefined && anvil > 0 ? anvil : undefined;
}

/**
 * Run `flock --home <home> demo <args>` (default `--quick`) until it exits, or kill it with SIGKILL at
 * `kill`. After a kill, waits up to `anvilGraceMs` for the anvil it started to stop (its watchdog sees the
 * parent's pipe close and stops it).
 */
export function runDemoProcess(options: {
  home: string;
  args?: readonly string[];
  kill?: KillPoint;
  timeoutMs?: number;
  anvilGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}): Promise<DemoRun> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [BIN, "--home", options.home, "demo", ...(options.args ?? ["--quick"])],
    {
      env: { ...process.env, FLOCK_LOG_LEVEL: "warn", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  let lastChapter = "start";
  let killed = false;
  let anvil: number | undefined;
  const timers: NodeJS.Timeout[] = [];
  const killNow = () => {
    if (killed || child.exitCode !== null) return;
    anvil = anvilOf(options.home, child.pid!);
    killed = true;
    child.kill("SIGKILL");
  };
  const arm = (chapter: string) => {
    if (options.kill !== undefined && options.kill.chapter === chapter)
      timers.push(setTimeout(killNow, options.kill.delayMs));
  };
  arm("start");
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    stderr += text;
    for (const match of text.matchAll(/^== (.*)$/gm)) {
      const chapter = DEMO_CHAPTERS.find((c) => match[1]!.startsWith(c));
      if (chapter === undefined) continue;
      lastChapter = chapter;
      arm(chapter);
    }
  });
  let timedOut = false;
  timers.push(
    setTimeout(() => {
      timedOut = true;
      killNow();
    }, options.timeoutMs ?? 600_000),
  );
  return new Promise((resolve) => {
    child.once("exit", async (code) => {
      for (const timer of timers) clearTimeout(timer);
      let anvilStopped: boolean | undefined;
      if (killed && anvil !== undefined) {
        const end = Date.now() + (options.anvilGraceMs ?? 20_000);
        while (alive(anvil) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
        anvilStopped = !alive(anvil);
      }
      const errorLines = stderr.match(/^error [A-Z_]+:.*(\n\s+hint:.*)?$/gm);
      const outcome = killed && !timedOut ? "killed" : code === 0 ? "finished" : "failed";
      resolve({
        outcome,
        exitCode: code,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        lastChapter,
        ...(errorLines === null
          ? timedOut
            ? { error: "timed out" }
            : {}
          : { error: errorLines[errorLines.length - 1]! }),
        ...(anvilStopped === undefined ? {} : { anvilStopped }),
        tasks: [...stderr.matchAll(/^task (\d+) open:/gm)].map((m) => Number(m[1])),
        stdout,
        stderr,
      });
    });
  });
}

/** One line about a run, as the kill loop prints it. */
export function describeRun(run: DemoRun, kill?: KillPoint): string {
  const where = kill === undefined ? "" : ` at "${kill.chapter}" +${(kill.delayMs / 1000).toFixed(1)} s`;
  switch (run.outcome) {
    case "killed":
      return `killed${where} after ${run.seconds} s (in "${run.lastChapter}")${
        run.anvilStopped === undefined
          ? ", no anvil yet"
          : run.anvilStopped
            ? ", anvil stopped"
            : ", ANVIL LEFT RUNNING"
      }`;
    case "finished":
      return `finished in ${run.seconds} s${kill === undefined ? "" : ` before the kill point${where}`}`;
    case "failed":
      return `FAILED after ${run.seconds} s in "${run.lastChapter}" (exit ${run.exitCode}): ${run.error ?? "no error printed"}`;
    default:
      return run.outcome satisfies never;
  }
}
