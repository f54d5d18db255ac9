import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3ArtifactStore } from "@flock/store";
import {
  type PostgresServer,
  postgresAvailability,
  S3RVER_CREDENTIALS,
  type S3TestServer,
  startPostgresServer,
  startS3TestServer,
} from "@flock/store/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DemoReport } from "./demo/runDemo.ts";
import { bufferIo } from "./io.ts";
import { main } from "./main.ts";

const availability = postgresAvailability();

// SPEC §5 "at scale": the same story on PostgreSQL (DATABASE_URL) and an S3-compatible artifact store
// (FLOCK_ARTIFACTS), each a server of its own on 127.0.0.1; nothing lands in the home's PGlite or folder.
// Needs Debian's PostgreSQL binaries (a shared FLOCK_TEST_DATABASE_URL could be wiped by other suites).
// With CI set, a missing PostgreSQL fails the suite (beforeAll) instead of skipping it.
describe.skipIf(availability.kind === "url" || (availability.kind === "missing" && !availability.required))(
  "flock demo on PostgreSQL and an S3-compatible store",
  () => {
    const home = mkdtempSync(join(tmpdir(), "flock-demo-scale-"));
    let postgres: PostgresServer;
    let s3: S3TestServer;

    beforeAll(async () => {
      if (availability.kind !== "binaries") throw new Error("PostgreSQL binaries are missing");
      postgres = await startPostgresServer(availability.bin);
      s3 = await startS3TestServer();
    });
    afterAll(async () => {
      await postgres?.stop();
      await s3?.close();
      rmSync(home, { recursive: true, force: true });
    });

    it("runs the whole story with every row in PostgreSQL and every artifact in the bucket", async () => {
      const io = bufferIo({
        DATABASE_URL: postgres.url,
        FLOCK_ARTIFACTS: `s3://${s3.bucket}/demo?endpoint=${s3.endpoint}`,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      });
      const code = await main(["--home", home, "--json", "demo", "--quick"], io, {
        signal: new AbortController().signal,
      });
      if (code !== 0) throw new Error(`flock demo exited ${code}: ${io.out()}\n${io.err().slice(-3000)}`);
      const report = JSON.parse(io.out()) as DemoReport;
      expect(report.audit.verified).toBe(true);
      expect(report.leaderboard.every((line) => line.reports === 3)).toBe(true);

      // The rows are in PostgreSQL ...
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      let ids: string[];
      try {
        const task = (
          await client.query(
            "select base_model, training_set_id, hidden_validation_set_id from tasks where kind = 'arena'",
          )
        ).rows;
        const federated = (await client.query("select id from tasks where kind = 'federated'")).rows;
        const flRounds = (await client.query("select round from fl_rounds")).rows;
        // The Arena's epoch, the one that settled the FL chapter's task and the one that paid Moonbase's usage.
        const epochs = (await client.query("select report_id from epochs order by number")).rows;
        const submissions = (await client.query("select artifact_id from submissions")).rows;
        expect(task).toHaveLength(1);
        expect(federated).toHaveLength(1);
        expect(flRounds.length).toBeGreaterThanOrEqual(report.fl.rounds.length);
        expect(report.fl.audit.verified).toBe(true);
        expect(epochs.length).toBe(new Set([report.epoch, report.fl.epoch, report.moonbase.epoch]).size);
        expect(submissions).toHaveLength(3);
        ids = [
          task[0].base_model,
          task[0].training_set_id,
          task[0].hidden_validation_set_id,
          ...epochs.map((e) => e.report_id),
          ...submissions.map((s) => s.artifact_id),
        ];
      } finally {
        await client.end();
      }
      // ... the artifacts in the bucket, and neither in the home.
      const bucket = new S3ArtifactStore({
        bucket: s3.bucket,
        prefix: "demo/",
        endpoint: s3.endpoint,
        credentials: S3RVER_CREDENTIALS,
        forcePathStyle: true,
      });
      try {
        for (const id of ids) expect(await bucket.has(id), id).toBe(true);
      } finally {
        bucket.close();
      }
      expect(readdirSync(join(home, "artifacts"))).toEqual([]);
      expect(readdirSync(join(home, "db"))).toEqual([]);
    }, 180_000);
  },
);
