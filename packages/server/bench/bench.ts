/**
 * Coordinator benchmark: public reads, signed writes, artifact transfer and epoch settlement, each measured
 * side by side on the embedded parts (PGlite, artifact folder) and the parts for scale (PostgreSQL, S3
 * through s3rver) in one run, over real HTTP on 127.0.0.1, then FL rounds with 10 and 100 participants
 * (flRounds.ts). Prints a table per section, then one JSON line with every figure. Never fails on timing.
 *
 *   npm run bench -w @flock/server   (BENCH_SECONDS=2.5 per read measurement)
 *   npm run bench:fl -w @flock/server   (the FL section alone)
 */
import { cpus, loadavg } from "node:os";
import { S3RVER_CREDENTIALS, startS3TestServer } from "@flock/store/testing";
import { benchArtifacts } from "./artifactTransfer.ts";
import {
  benchDatabase,
  type DatabaseFigures,
  READ_SECONDS,
  TRAINERS,
  VALIDATORS,
  WRITE_CONCURRENCY,
  WRITE_WARMUP,
} from "./coordinatorSections.ts";
import { benchFlRounds } from "./flRounds.ts";
import { LoadClient } from "./loadClient.ts";
import { benchPostgres, type DatabaseRun } from "./postgresRuns.ts";
import { started, stopAll } from "./resources.ts";
import { benchVerify } from "./signatureCost.ts";
import { log, printTable, ratio, round } from "./stats.ts";

async function main(): Promise<void> {
  const machine = {
    cpu: cpus()[0]?.model.trim() ?? "unknown CPU",
    cores: cpus().length,
    node: process.version,
    loadAverage1m: round(loadavg()[0]!, 2),
    date: new Date().toISOString(),
  };
  log(`${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadAverage1m}`);
  const client = new LoadClient();
  started("load client", () => client.close());

  const pglite: DatabaseRun = {
    label: "PGlite",
    key: "pglite",
    note: "openDatabase's PGlite in a temp folder (PGlite's own defaults)",
    figures: await benchDatabase({ kind: "pglite" }, client),
  };
  const postgres = await benchPostgres(client);
  const runs = [pglite, ...postgres.runs];
  const others = postgres.runs;

  log("verifyRequest alone");
  const verify = await benchVerify();

  log("starting s3rver");
  const s3server = await startS3TestServer();
  const stopS3 = started("s3rver", () => s3server.close());
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  const transfers = await benchArtifacts(
    [
      { name: "folder", location: undefined },
      {
        name: "s3",
        location: `s3://${s3server.bucket}/bench?endpoint=${s3server.endpoint}&region=us-east-1`,
      },
    ],
    client,
  );
  const folder = transfers.folder!;
  const s3 = transfers.s3!;
  await stopS3();

  console.log(
    `${machine.cpu}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m} at start`,
  );
  for (const r of runs) console.log(`${r.label}: ${r.note}`);
  if (postgres.skipped !== undefined) console.log(`PostgreSQL rows skipped: ${postgres.skipped}`);

  const readRows = [];
  for (const name of ["taskById", "taskList"] as const) {
    for (const c of ["c1", "c16"] as const) {
      const base = pglite.figures.reads[name][c].perSecond;
      readRows.push([
        name === "taskById" ? "GET /tasks/:id" : "GET /tasks?limit=100",
        c.slice(1),
        ...runs.map((r) => {
          const f = r.figures.reads[name][c];
          return `${f.perSecond} (${f.medianMs} / ${f.p95Ms})`;
        }),
        ...others.map((r) => ratio(r.figures.reads[name][c].perSecond, base)),
      ]);
    }
  }
  printTable(
    `1. Public reads, ${READ_SECONDS} s per row after 0.5 s warm-up: requests/s (median / p95 ms)`,
    ["route", "clients", ...runs.map((r) => r.label), ...others.map((r) => `${r.label} ÷ PGlite`)],
    readRows,
  );

  printTable(
    `2. Signed writes: POST /tasks/:id/submissions, ${WRITE_CONCURRENCY} clients, ` +
      `${pglite.figures.writes.requests} timed after ${WRITE_WARMUP} warm-up\n` +
      `   verifyRequest alone: ${verify.perSecond}/s (median ${verify.medianMs} ms, p95 ${verify.p95Ms} ms)`,
    ["database", "commits/s", "median ms", "p95 ms", "÷ PGlite", "verifyRequest ÷ (1 / commits/s)"],
    runs.map((r) => [
      r.label,
      r.figures.writes.perSecond,
      r.figures.writes.medianMs,
      r.figures.writes.p95Ms,
      ratio(r.figures.writes.perSecond, pglite.figures.writes.perSecond),
      `${Math.round(100 * verify.medianMs * (r.figures.writes.perSecond / 1000))}%`,
    ]),
  );

  printTable(
    "3. Artifacts, one client, one request at a time, stores taken in turn: MB/s (10⁶ B/s) of the median request (median / p95 ms)",
    ["size", "direction", "folder", "S3 (s3rver)", "S3 ÷ folder"],
    (["1MiB", "64MiB"] as const).flatMap((size) =>
      (["upload", "download"] as const).map((direction) => {
        const [mbps, ms, p95] =
          direction === "upload"
            ? (["uploadMBps", "uploadMedianMs", "uploadP95Ms"] as const)
            : (["downloadMBps", "downloadMedianMs", "downloadP95Ms"] as const);
        return [
          size,
          direction,
          `${folder[size][mbps]} (${folder[size][ms]} / ${folder[size][p95]})`,
          `${s3[size][mbps]} (${s3[size][ms]} / ${s3[size][p95]})`,
          ratio(s3[size][mbps], folder[size][mbps]),
        ];
      }),
    ),
  );

  printTable(
    `4. Settlement at the task's end (scheduler runDue: finalize + settleTaskEpoch + close on-chain), ` +
      `${TRAINERS} accepted submissions × ${VALIDATORS} scores, setup through the repositories`,
    ["database", "median ms", "min – max ms", "timed runs (after 1 warm-up)", "÷ PGlite"],
    runs.map((r) => [
      r.label,
      r.figures.settlement.medianMs,
      `${r.figures.settlement.minMs} – ${r.figures.settlement.maxMs}`,
      r.figures.settlement.runsMs.length,
      ratio(r.figures.settlement.medianMs, pglite.figures.settlement.medianMs),
    ]),
  );

  // Section 5 prints its own table (FL rounds: PGlite only, participants in a worker thread).
  log("FL rounds");
  const fl = await benchFlRounds();

  const byDatabase = <T>(pick: (f: DatabaseFigures) => T) =>
    Object.fromEntries(runs.map((r) => [r.key, pick(r.figures)]));
  const ratios = (pick: (f: DatabaseFigures) => number) =>
    Object.fromEntries(others.map((r) => [r.key, ratio(pick(r.figures), pick(pglite.figures))]));
  console.log(
    JSON.stringify({
      machine,
      databases: Object.fromEntries(runs.map((r) => [r.key, r.note])),
      ...(postgres.skipped === undefined ? {} : { postgresSkipped: postgres.skipped }),
      reads: {
        ...byDatabase((f) => f.reads),
        ratioOverPglite: Object.fromEntries(
          (["taskById", "taskList"] as const).flatMap((name) =>
            (["c1", "c16"] as const).map((c) => [`${name}.${c}`, ratios((f) => f.reads[name][c].perSecond)]),
          ),
        ),
      },
      writes: {
        concurrency: WRITE_CONCURRENCY,
        ...byDatabase((f) => f.writes),
        ratioOverPglite: ratios((f) => f.writes.perSecond),
        verifyRequest: verify,
      },
      artifacts: {
        folder,
        s3,
        ratioS3OverFolder: Object.fromEntries(
          (["1MiB", "64MiB"] as const).flatMap((size) => [
            [`${size}.upload`, ratio(s3[size].uploadMBps, folder[size].uploadMBps)],
            [`${size}.download`, ratio(s3[size].downloadMBps, folder[size].downloadMBps)],
          ]),
        ),
      },
      settlement: {
        submissions: TRAINERS,
        scoresPerSubmission: VALIDATORS,
        ...byDatabase((f) => f.settlement),
        ratioOverPglite: ratios((f) => f.settlement.medianMs),
      },
      fl,
    }),
  );
}

process.once("SIGINT", () => {
  void stopAll().finally(() => process.exit(130));
});
try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await stopAll();
}
