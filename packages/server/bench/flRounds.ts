/**
 * FL round benchmark (SPEC §2.2): a federated task with N participants on 127.0.0.1, plain or under SecAgg+,
 * for a small model (2,410 floats: the parameters of a 64→32→10 MLP) and a larger one (100,000 floats).
 * The coordinator (startTestApp: PGlite in a temp folder, the recording chain gateway, the system clock moved
 * forward to the join deadline once everyone has joined) runs in
 * this thread, its scheduler driven every SCHEDULER_MS and its rounds looking for replies every FL_POLL_MS; the
 * participants run in a worker thread (flParticipants.ts) and speak HTTP with the node's long poll.
 *
 * Per configuration: the median wall latency of a round (its start to its end as the store records them: role
 * draw, training through the network grid, commit and reveal of the votes, outcome), the bytes of request and
 * response bodies per participant per round (mean and largest), and the coordinator thread's CPU time per round
 * (process.threadCpuUsage of this thread between the ends of consecutive rounds: HTTP handling and signature
 * checks of every request, the scheduler's round steps, the database). Never fails on timing: a configuration
 * that does not finish within its time limit is reported as such.
 *
 *   node bench/flRounds.ts   (or as section 5 of `npm run bench`)
 */
import { cpus, loadavg } from "node:os";
import { Worker } from "node:worker_threads";
import type { wire } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { vectorModel } from "../src/testing/flTestParticipant.ts";
import { operatorAccount } from "../src/testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../src/testing/recordingChainGateway.ts";
import { freshDataDir } from "../src/testing/templateDataDir.ts";
import { startTestApp } from "../src/testing/testApp.ts";
import type { FlParticipantsInput, FlParticipantsOutput } from "./flParticipants.ts";
import { started } from "./resources.ts";
import { log, printTable, quantile, round } from "./stats.ts";

const WAD = 10n ** 18n;
/** How often a round in progress looks for replies (ServerConfig.flPollMs; 1000 by default). */
export const FL_POLL_MS = 20;
/** How often the scheduler runs due jobs (ServerConfig.schedulerPollMs). */
export const SCHEDULER_MS = 20;
/** The participants' long poll (the node's default). */
const WAIT_MS = 25_000;
/** 64→32→10 MLP: 64·32 + 32 + 32·10 + 10. */
const SMALL = 2410;
/** BENCH_FL_LIMIT_SCALE multiplies every configuration's time limit (1 by default: the section stays under 3 minutes). */
const LIMIT_SCALE = Number(process.env.BENCH_FL_LIMIT_SCALE ?? "1");
const LARGE = 100_000;
/** How often the benchmark reads the rounds from the store to mark their ends (its reads count as coordinator CPU). */
const WATCH_MS = 100;

export interface FlConfig {
  participants: number;
  floats: number;
  privacy: "plain" | "secagg";
  rounds: number;
  /** Wall-time limit of the configuration's rounds, s. */
  limitSeconds: number;
}

export const FL_CONFIGS: FlConfig[] = [
  { participants: 10, floats: SMALL, privacy: "plain", rounds: 3, limitSeconds: 12 },
  { participants: 10, floats: SMALL, privacy: "secagg", rounds: 3, limitSeconds: 12 },
  { participants: 10, floats: LARGE, privacy: "plain", rounds: 3, limitSeconds: 12 },
  { participants: 10, floats: LARGE, privacy: "secagg", rounds: 3, limitSeconds: 12 },
  { participants: 100, floats: SMALL, privacy: "plain", rounds: 2, limitSeconds: 25 },
  { participants: 100, floats: SMALL, privacy: "secagg", rounds: 2, limitSeconds: 25 },
  { participants: 100, floats: LARGE, privacy: "plain", rounds: 2, limitSeconds: 25 },
  { participants: 100, floats: LARGE, privacy: "secagg", rounds: 2, limitSeconds: 25 },
];

export interface FlFigures {
  config: FlConfig;
  /** Rounds that ended within the limit. */
  roundsEnded: number;
  roundStatuses: string[];
  latencyMs: { median: number; min: number; max: number };
  /** Body bytes per participant per round. */
  uploadBytes: { mean: number; max: number };
  downloadBytes: { mean: number; max: number };
  coordinatorCpuMsPerRound: { median: number; perRound: number[] };
  participantsCpuMs: number;
  errors: string[];
  note?: string;
}

/** Math.min or Math.max of a list, NaN for none. */
const extreme = (pick: (...xs: number[]) => number, xs: number[]) =>
  xs.length === 0 ? Number.NaN : pick(...xs);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const threadCpuMs = () => {
  const c = process.threadCpuUsage();
  return (c.user + c.system) / 1000;
};

async function benchOne(config: FlConfig): Promise<FlFigures> {
  const chain = createRecordingChainGateway();
  // The system clock, moved forward once every participant has joined so that the rounds start then instead of
  // at a join deadline that had to allow for the slowest setup; time then runs at its real pace.
  let shiftMs = 0;
  const clock = { now: () => new Date(Date.now() + shiftMs) };
  const t = await startTestApp({
    clock,
    // A copy of the migrated template database: seconds faster than migrating a new one.
    dataDir: await freshDataDir("flock-bench-fl-"),
    chain,
    config: {
      flPollMs: FL_POLL_MS,
      schedulerPollMs: SCHEDULER_MS,
      rateLimitPerAccount: 1_000_000,
      rateLimitPerIp: 1_000_000,
    },
  });
  const stopApp = started("FL coordinator", () => t.dispose());
  try {
    const origin = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    const pool = 1000n * WAD;
    // Joining (setup through inject, not measured) may take until the deadline; the clock then jumps to it.
    const joinDeadline = new Date(clock.now().getTime() + 55_000);
    const created = await t.signed(operatorAccount, "POST", "/fl/tasks", {
      title: `bench ${config.participants}×${config.floats} ${config.privacy}`,
      description: "FL round benchmark",
      modelType: "regressor",
      baseModel: await t.publish(vectorModel(new Array(config.floats).fill(0))),
      rounds: config.rounds,
      roundSeconds: 60,
      minParticipants: config.participants,
      maxParticipants: config.participants,
      joinDeadline: joinDeadline.toISOString(),
      rewardWeight: "0",
      pool: pool.toString(),
      minStake: (100n * WAD).toString(),
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy: { mode: config.privacy },
      payRule: "stake",
      trainConfig: { learningRate: 0.5 },
    });
    if (created.statusCode !== 201) throw new Error(`create: ${created.statusCode} ${created.body}`);
    const taskId = (created.json() as wire.FlTask).id;
    chain.taskPools.set(taskId, pool);
    const opened = await t.signed(operatorAccount, "POST", `/fl/tasks/${taskId}/open`);
    if (opened.statusCode !== 200) throw new Error(`open: ${opened.statusCode} ${opened.body}`);
    const privateKeys = Array.from({ length: config.participants }, () => generatePrivateKey());
    for (const key of privateKeys) {
      const account = privateKeyToAccount(key);
      await t.indexStake(taskId, account.address, "trainer", 1000n * WAD);
      const joined = await t.signed(account, "POST", `/fl/tasks/${taskId}/join`);
      if (joined.statusCode !== 200) throw new Error(`join: ${joined.statusCode} ${joined.body}`);
    }
    const input: FlParticipantsInput = {
      origin,
      taskId,
      chainId: chain.chainId,
      requestVerifier: chain.requestVerifier,
      privateKeys,
      floats: config.floats,
      waitMs: WAIT_MS,
    };
    const worker = new Worker(new URL("./flParticipants.ts", import.meta.url), { workerData: input });
    const stopWorker = started("FL participants", async () => {
      await worker.terminate();
    });
    const output = new Promise<FlParticipantsOutput>((resolve, reject) => {
      worker.on("message", (m: { kind: string; output?: FlParticipantsOutput; error?: string }) => {
        if (m.kind === "ready") {
          // The participants are loaded: the clock jumps to the join deadline and they start polling.
          shiftMs = joinDeadline.getTime() - Date.now();
          worker.postMessage({ kind: "go", clockShiftMs: shiftMs });
        } else if (m.kind === "done") resolve(m.output!);
        else reject(new Error(m.error));
      });
      worker.once("error", reject);
    });
    while (shiftMs === 0) await sleep(10);
    const limitSeconds = config.limitSeconds * LIMIT_SCALE;
    // The scheduler, driven here (as app.start() would, without the chain-facing timers).
    let driving = true;
    const driver = (async () => {
      while (driving) {
        await t.app.scheduler.runDue();
        await sleep(SCHEDULER_MS);
      }
    })();
    // The coordinator thread's CPU at the start of round 1 and at the end of each round.
    const cpuMarks: number[] = [];
    const until = Date.now() + limitSeconds * 1000;
    let ended = 0;
    let closed = false;
    while (Date.now() < until) {
      const rounds = await t.repos.fl.listRounds(taskId);
      if (cpuMarks.length === 0 && rounds.length > 0) cpuMarks.push(threadCpuMs());
      const nowEnded = rounds.filter((r) => r.endedAt !== null).length;
      for (; ended < nowEnded; ended++) cpuMarks.push(threadCpuMs());
      const task = await t.repos.tasks.get(taskId);
      if (nowEnded >= config.rounds || task.status === "closed" || task.status === "cancelled") {
        closed = true;
        break;
      }
      await sleep(WATCH_MS);
    }
    log(`  rounds played for ${((clock.now().getTime() - joinDeadline.getTime()) / 1000).toFixed(1)} s`);
    // The participants' figures up to now (the settlement after the last round is not measured; at the limit,
    // the rounds that ended are).
    worker.postMessage({ kind: "report" });
    const participants = await Promise.race([output, sleep(10_000).then(() => undefined)]);
    driving = false;
    await driver;
    await stopWorker();
    const rounds = await t.repos.fl.listRounds(taskId);
    const done = rounds.filter((r) => r.endedAt !== null);
    const latencies = done.map((r) => r.endedAt!.getTime() - r.startedAt.getTime());
    const perRoundCpu = cpuMarks.slice(1).map((c, i) => round(c - cpuMarks[i]!));
    const up: number[] = [];
    const down: number[] = [];
    for (const p of participants?.bytes ?? []) {
      for (const r of done) {
        const b = p[r.round];
        up.push(b?.up ?? 0);
        down.push(b?.down ?? 0);
      }
    }
    const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
    return {
      config,
      roundsEnded: done.length,
      roundStatuses: done.map((r) => r.status),
      latencyMs: {
        median: round(quantile(latencies, 0.5)),
        min: round(extreme(Math.min, latencies)),
        max: round(extreme(Math.max, latencies)),
      },
      uploadBytes: { mean: round(mean(up)), max: extreme(Math.max, up) },
      downloadBytes: { mean: round(mean(down)), max: extreme(Math.max, down) },
      coordinatorCpuMsPerRound: { median: round(quantile(perRoundCpu, 0.5)), perRound: perRoundCpu },
      participantsCpuMs: round((participants?.cpuMicros ?? Number.NaN) / 1000),
      errors: participants?.errors ?? [],
      ...(participants === undefined ? { note: "participants did not report within 10 s" } : {}),
      ...(closed
        ? {}
        : { note: `${done.length} of ${config.rounds} rounds ended within the limit of ${limitSeconds} s` }),
    };
  } finally {
    await stopApp();
  }
}

const kb = (bytes: number) => (Number.isFinite(bytes) ? `${round(bytes / 1000)} kB` : "–");

/** Run every configuration (or those `only` keeps), print the table and return the figures. */
export async function benchFlRounds(only?: (c: FlConfig) => boolean): Promise<FlFigures[]> {
  const figures: FlFigures[] = [];
  for (const config of FL_CONFIGS.filter(only ?? (() => true))) {
    log(`FL: ${config.participants} participants, ${config.floats} floats, ${config.privacy}`);
    const started = Date.now();
    figures.push(await benchOne(config));
    log(`  ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  printTable(
    `5. FL rounds over HTTP on 127.0.0.1 (participants in a worker thread, long poll; flPollMs ${FL_POLL_MS}, ` +
      `scheduler every ${SCHEDULER_MS} ms; FedAvg, half the participants proposers)`,
    [
      "participants",
      "floats",
      "privacy",
      "rounds",
      "round latency ms, median (min – max)",
      "upload / participant / round, mean (max)",
      "download / participant / round, mean (max)",
      "coordinator CPU ms / round, median",
      "notes",
    ],
    figures.map((f) => [
      f.config.participants,
      f.config.floats,
      f.config.privacy,
      `${f.roundsEnded} (${f.roundStatuses.join(", ")})`,
      `${f.latencyMs.median} (${f.latencyMs.min} – ${f.latencyMs.max})`,
      `${kb(f.uploadBytes.mean)} (${kb(f.uploadBytes.max)})`,
      `${kb(f.downloadBytes.mean)} (${kb(f.downloadBytes.max)})`,
      f.coordinatorCpuMsPerRound.median,
      [f.note, f.errors.length > 0 ? `${f.errors.length} errors: ${f.errors[0]}` : undefined]
        .filter((x) => x !== undefined)
        .join("; ") || "",
    ]),
  );
  return figures;
}

if (import.meta.main) {
  const { stopAll } = await import("./resources.ts");
  process.once("SIGINT", () => {
    void stopAll().finally(() => process.exit(130));
  });
  try {
    const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
    log(`${cpu}, ${cpus().length} cores, node ${process.version}, load average ${loadavg()[0]} at start`);
    const filter = process.env.BENCH_FL;
    const figures = await benchFlRounds(
      filter === undefined
        ? undefined
        : (c) => filter.split(",").some((f) => `${c.participants}x${c.floats}x${c.privacy}`.startsWith(f)),
    );
    console.log(
      JSON.stringify({
        machine: { cpu, cores: cpus().length, node: process.version, loadAverage1m: round(loadavg()[0]!, 2) },
        limitScale: LIMIT_SCALE,
        fl: figures,
      }),
    );
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await stopAll();
  }
}
