import { rm } from "node:fs/promises";
import { join } from "node:path";
import { createLogger } from "@flock/core";
import type { CompletionEngine } from "@flock/serving";
import {
  type ArtifactStore,
  createRepositories,
  type FlockDatabase,
  openArtifactStore,
  openDatabase,
  type Repositories,
} from "@flock/store";
import type { LightMyRequestResponse } from "fastify";
import { type Hex, type LocalAccount, sha256 } from "viem";
import { createApp, type FlockApp } from "../app.ts";
import type { ChainGateway } from "../chain/chainGateway.ts";
import type { Clock, ServerConfig } from "../deps.ts";
import type { SubmissionEvaluator } from "../disputes/submissionEvaluator.ts";
import { createRecordingChainGateway, type RecordingChainGateway } from "./recordingChainGateway.ts";
import { signedHeaders } from "./signedHeaders.ts";
import { freshDataDir } from "./templateDataDir.ts";

/** The account recorded as the publisher of artifacts tests publish directly. */
const TEST_PUBLISHER = "0x00000000000000000000000000000000000000f1";

/** A clock tests move by hand. */
export interface ManualClock extends Clock {
  set(time: Date): void;
  advance(ms: number): void;
}

export function manualClock(start: Date): ManualClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (time) => {
      current = time.getTime();
    },
    advance: (ms) => {
      current += ms;
    },
  };
}

/** A coordinator over PGlite and an artifact folder in one temp data folder. */
export interface TestApp {
  app: FlockApp;
  dataDir: string;
  repos: Repositories;
  /** The database itself, for tests that write rows in bulk. */
  db: FlockDatabase["db"];
  artifacts: ArtifactStore;
  /** Send a signed JSON request through `inject`. */
  signed(
    account: LocalAccount,
    method: "GET" | "POST" | "PUT" | "DELETE",
    path: string,
    body?: unknown,
  ): Promise<LightMyRequestResponse>;
  /**
   * Send signed bytes (application/octet-stream) with PUT through `inject`; the signature covers their
   * sha256 unless `signedHash` says otherwise (to test a mismatch).
   */
  upload(
    account: LocalAccount,
    path: string,
    bytes: Uint8Array,
    signedHash?: Hex,
  ): Promise<LightMyRequestResponse>;
  /**
   * Index a stake as the stake indexer would from a TaskStaking event (each call a later chain position), so
   * route tests can give accounts roles without a chain.
   */
  indexStake(taskId: number, account: string, role: "trainer" | "validator", amount: bigint): Promise<void>;
  /**
   * Store and publish bytes as a public artifact (what PUT /artifacts does), for tasks' base models and
   * training sets; returns the content id.
   */
  publish(bytes: string | Uint8Array): Promise<string>;
  /** Close the app and database, keeping the folder (to reopen it). */
  close(): Promise<void>;
  /** Close and delete the folder. */
  dispose(): Promise<void>;
}

/** Open (or reopen) a coordinator on `dataDir` (a new temp folder when omitted). */
export async function startTestApp(
  options: {
    dataDir?: string;
    clock?: Clock;
    chain?: ChainGateway;
    config?: Partial<ServerConfig>;
    evaluator?: SubmissionEvaluator;
    /** The artifact store's location (a folder or an `s3://` URL); `<dataDir>/artifacts` by default. */
    artifacts?: string;
    /** The browser FL client's folder, served at /fl/join/. */
    flWebDir?: string;
    /** Answers the OpenAI-compatible API at /v1. */
    completions?: CompletionEngine;
  } = {},
): Promise<TestApp> {
  // A copy of a migrated database: the same as migrating a new one, in a fraction of the time.
  const dataDir = options.dataDir ?? (await freshDataDir("flock-server-"));
  const database = await openDatabase({ dataDir });
  const chain = options.chain ?? createRecordingChainGateway();
  const clock = options.clock;
  const repos = createRepositories(database.db);
  // A recording chain freezes the stakes the test indexed (as a real chain's TaskStaking would freeze the stakes
  // its events reported), unless the test sets a task's frozen stakes itself.
  if ("frozenStakes" in chain) {
    const recording = chain as RecordingChainGateway;
    recording.snapshotStakes = async (taskId, accounts) => {
      const set = recording.frozenStakes.get(taskId);
      const indexed = new Map((await repos.stakes.listForTask(taskId)).map((s) => [s.account, s.amount]));
      return new Map(
        accounts.map((a) => {
          const account = a.toLowerCase();
          return [account, set === undefined ? (indexed.get(account) ?? 0n) : (set.get(account) ?? 0n)];
        }),
      );
    };
  }
  const artifacts = openArtifactStore(options.artifacts, { defaultFolder: join(dataDir, "artifacts") });
  const app = await createApp({
    db: database.db,
    repos,
    artifacts,
    chain,
    logger: createLogger("flock-server-test", { level: "silent" }),
    ...(clock === undefined ? {} : { clock }),
    ...(options.evaluator === undefined ? {} : { evaluator: options.evaluator }),
    ...(options.flWebDir === undefined ? {} : { flWeb: { directory: async () => options.flWebDir! } }),
    ...(options.completions === undefined ? {} : { completions: options.completions }),
    config: { schedulerPollMs: 50, epochLengthMs: 0, ...options.config },
  });
  let stakeBlock = 0;
  const nowSeconds = () => Math.floor((clock?.now() ?? new Date()).getTime() / 1000);
  const close = async () => {
    await app.close();
    await database.close();
    await artifacts.close?.();
  };
  return {
    app,
    dataDir,
    repos,
    db: database.db,
    artifacts,
    async signed(account, method, path, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = await signedHeaders({
        account,
        chainId: chain.chainId,
        verifyingContract: chain.requestVerifier,
        method,
        path,
        ...(payload === undefined ? {} : { body: payload }),
        timestamp: nowSeconds(),
      });
      return app.http.inject({
        method,
        url: path,
        headers: { ...headers, ...(payload === undefined ? {} : { "content-type": "application/json" }) },
        ...(payload === undefined ? {} : { payload }),
      });
    },
    async indexStake(taskId, account, role, amount) {
      // Positions only need to increase, also across reopenings of the same folder.
      stakeBlock = Math.max(stakeBlock + 1, Date.now());
      await repos.stakes.applyEvent({ taskId, account, role, amount, blockNumber: stakeBlock, logIndex: 0 });
    },
    async upload(account, path, bytes, signedHash) {
      const headers = await signedHeaders({
        account,
        chainId: chain.chainId,
        verifyingContract: chain.requestVerifier,
        method: "PUT",
        path,
        bodyHash: signedHash ?? sha256(bytes),
        timestamp: nowSeconds(),
      });
      return app.http.inject({
        method: "PUT",
        url: path,
        headers: { ...headers, "content-type": "application/octet-stream" },
        payload: Buffer.from(bytes),
      });
    },
    async publish(bytes) {
      const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
      const stored = await artifacts.put(data, { maxBytes: data.length });
      await repos.artifacts.publish({
        ...stored,
        mediaType: "application/octet-stream",
        publisher: TEST_PUBLISHER,
      });
      return stored.id;
    },
    close,
    dispose: async () => {
      await close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
