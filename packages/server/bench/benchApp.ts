import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@flock/core";
import { createRepositories, openArtifactStore, openDatabase, type Repositories } from "@flock/store";
import type { LightMyRequestResponse } from "fastify";
import type { LocalAccount } from "viem";
import { createApp, type FlockApp } from "../src/app.ts";
import type { ServerConfig } from "../src/deps.ts";
import { createRecordingChainGateway } from "../src/testing/recordingChainGateway.ts";
import { signedHeaders } from "../src/testing/signedHeaders.ts";
import { type ManualClock, startTestApp } from "../src/testing/testApp.ts";

/** The account recorded as the publisher of the tasks' inputs. */
const PUBLISHER = "0x00000000000000000000000000000000000000f1";

/** Which database a benchmarked coordinator runs on. */
export type BenchDatabase = { kind: "pglite" } | { kind: "postgres"; url: string };

/** A coordinator listening on 127.0.0.1 for the benchmark, with the test harness's recording chain. */
export interface BenchApp {
  app: FlockApp;
  repos: Repositories;
  chainId: number;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** A signed JSON request through `inject` (setup only: the measured traffic goes over real HTTP). */
  /** Store and publish bytes as a public artifact (a task's base model or training set). */
  publish(bytes: Uint8Array): Promise<string>;
  signed(account: LocalAccount, method: "POST", path: string, body: unknown): Promise<LightMyRequestResponse>;
  /** Close the app and its database and delete its temp folder. */
  dispose(): Promise<void>;
}

/**
 * Open a coordinator on PGlite (`startTestApp`: PGlite and artifacts in a temp folder) or on PostgreSQL
 * (the same wiring with `openDatabase({ databaseUrl })`, which `startTestApp` does not offer), and listen
 * on a free port of 127.0.0.1.
 */
export async function openBenchApp(options: {
  database: BenchDatabase;
  clock: ManualClock;
  /** The artifact store's location; a folder in the temp folder by default. */
  artifacts?: string;
  config?: Partial<ServerConfig>;
}): Promise<BenchApp> {
  const chain = createRecordingChainGateway();
  let app: FlockApp;
  let repos: Repositories;
  let publish: (bytes: Uint8Array) => Promise<string>;
  let dispose: () => Promise<void>;
  if (options.database.kind === "pglite") {
    const t = await startTestApp({
      clock: options.clock,
      chain,
      ...(options.config === undefined ? {} : { config: options.config }),
      ...(options.artifacts === undefined ? {} : { artifacts: options.artifacts }),
    });
    app = t.app;
    repos = t.repos;
    publish = (bytes) => t.publish(bytes);
    dispose = () => t.dispose();
  } else {
    const dataDir = await mkdtemp(join(tmpdir(), "flock-bench-"));
    const database = await openDatabase({ databaseUrl: options.database.url });
    const artifacts = openArtifactStore(options.artifacts, { defaultFolder: join(dataDir, "artifacts") });
    repos = createRepositories(database.db);
    app = await createApp({
      db: database.db,
      repos,
      artifacts,
      chain,
      clock: options.clock,
      logger: createLogger("flock-server-bench", { level: "silent" }),
      config: { schedulerPollMs: 50, ...options.config },
    });
    publish = async (bytes) => {
      const stored = await artifacts.put(bytes, { maxBytes: bytes.length });
      await repos.artifacts.publish({
        ...stored,
        mediaType: "application/octet-stream",
        publisher: PUBLISHER,
      });
      return stored.id;
    };
    dispose = async () => {
      await app.close();
      await database.close();
      await artifacts.close?.();
      await rm(dataDir, { recursive: true, force: true });
    };
  }
  let baseUrl: string;
  try {
    baseUrl = await app.http.listen({ host: "127.0.0.1", port: 0 });
  } catch (error) {
    await dispose();
    throw error;
  }
  const nowSeconds = () => Math.floor(options.clock.now().getTime() / 1000);
  return {
    app,
    repos,
    chainId: chain.chainId,
    baseUrl,
    publish,
    async signed(account, method, path, body) {
      const payload = JSON.stringify(body);
      const headers = await signedHeaders({
        account,
        chainId: chain.chainId,
        method,
        path,
        body: payload,
        timestamp: nowSeconds(),
      });
      return app.http.inject({
        method,
        url: path,
        headers: { ...headers, "content-type": "application/json" },
        payload,
      });
    },
    dispose,
  };
}
