import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId, createLogger } from "@flock/core";
import { createRepositories, type FlockDatabase, FolderArtifactStore, openDatabase } from "@flock/store";
import { type PostgresServer, postgresAvailability, startPostgresServer } from "@flock/store/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type FlockApp } from "../app.ts";
import { defaultServerConfig } from "../deps.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway, type RecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { manualClock } from "../testing/testApp.ts";

const availability = postgresAvailability();
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

// Where PostgreSQL matters: several coordinators share one database, and each deadline must fire once.
describe.skipIf(availability.kind === "missing" && !availability.required)(
  "two coordinators over one PostgreSQL",
  () => {
    const clock = manualClock(T0);
    let server: PostgresServer | undefined;
    let folder: string;
    const databases: FlockDatabase[] = [];
    const apps: FlockApp[] = [];
    const chains: RecordingChainGateway[] = [];
    const creator = operatorAccount;

    beforeAll(async () => {
      if (availability.kind === "missing") throw new Error(availability.message);
      let url: string;
      if (availability.kind === "url") url = availability.url;
      else {
        server = await startPostgresServer(availability.bin);
        url = server.url;
      }
      folder = await mkdtemp(join(tmpdir(), "flock-two-"));
      for (let i = 0; i < 2; i++) {
        const database = await openDatabase({ databaseUrl: url });
        databases.push(database);
        const chain = createRecordingChainGateway();
        chains.push(chain);
        apps.push(
          await createApp({
            db: database.db,
            repos: createRepositories(database.db),
            artifacts: new FolderArtifactStore(join(folder, "artifacts")),
            chain,
            clock,
            // Epochs close as soon as a task is ready: the race over epoch numbers is what is tested.
            config: { epochLengthMs: 0 },
            logger: createLogger("two-coordinators", { level: "silent" }),
          }),
        );
      }
    });
    beforeAll(async () => {
      // The tasks' public inputs, published once into the shared database and artifact folder.
      const artifacts = new FolderArtifactStore(join(folder, "artifacts"));
      const repos = createRepositories(databases[0]!.db);
      for (const text of ["base model", "train"]) {
        const stored = await artifacts.put(new TextEncoder().encode(text), { maxBytes: 100 });
        await repos.artifacts.publish({
          ...stored,
          mediaType: "application/octet-stream",
          publisher: creator.address,
        });
      }
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      for (const database of databases) await database.close();
      await server?.stop();
      if (folder !== undefined) await rm(folder, { recursive: true, force: true });
    });

    it("each task moves once and each epoch gets its own number, whichever coordinator runs the job", async () => {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++) {
        const body = JSON.stringify({
          title: `task ${i}`,
          description: "d",
          type: "lm-lora",
          baseModel: contentId("base model"),
          contextLength: 64,
          maxTrainableParams: 1000,
          trainingSetId: contentId("train"),
          validationCommitment: contentId(`hidden ${i}`),
          submissionDeadline: minutes(60).toISOString(),
          endTime: minutes(120).toISOString(),
          rewardWeight: "1",
          minStake: "0",
          minLockDays: 0,
        });
        const headers = await signedHeaders({
          account: creator,
          chainId: 31337,
          method: "POST",
          path: "/tasks",
          body,
          timestamp: Math.floor(clock.now().getTime() / 1000),
        });
        const app = apps[i % 2]!;
        const response = await app.http.inject({
          method: "POST",
          url: "/tasks",
          headers: { ...headers, "content-type": "application/json" },
          payload: body,
        });
        ids.push(response.json().id);
      }
      const repos = createRepositories(databases[0]!.db);
      const runBoth = () => Promise.all(apps.map((app) => app.scheduler.runDue()));

      clock.set(minutes(60));
      await runBoth();
      // The end, then the reveal window (nobody validates here: the tasks settle with no scores).
      clock.set(minutes(120));
      await runBoth();
      clock.set(minutes(120 + defaultServerConfig.revealWindowMs / 60_000));
      await runBoth();
      // A job that lost a race (an epoch number taken by the other coordinator) is retried after backoff.
      for (let i = 0; i < 5; i++) {
        clock.advance(60_000);
        await runBoth();
      }

      const events = await repos.events.listAfter(0, { limit: 500, types: ["task.status"] });
      for (const id of ids) {
        const moves = events.filter((e) => e.payload.taskId === id).map((e) => e.payload.to);
        expect(moves).toEqual(["validating", "finalized", "closed"]);
        expect((await repos.tasks.get(id)).status).toBe("closed");
      }
      const epochs = await repos.epochs.list();
      // Each task is settled in exactly one network-wide epoch (an epoch may settle several).
      expect(epochs.flatMap((e) => e.tasks).sort()).toEqual([...ids].sort());
      const posted = chains.flatMap((c) => c.posted.map((p) => Number(p.epoch)));
      expect(posted.sort((a, b) => a - b)).toEqual(epochs.map((e) => e.number).sort((a, b) => a - b));
      expect(chains[0]!.closed.length + chains[1]!.closed.length).toBe(ids.length);
    }, 60_000);
  },
);
