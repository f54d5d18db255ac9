/**
 * A coordinator in its own process over a real chain (anvil started by the test) and PGlite in a data folder
 * the test keeps, for crash tests: with `crashAfter` it SIGKILLs itself at that crash point (see crashPoints.ts),
 * and the test starts it again on the same folder. Prints `{"url": …}` once listening; shuts down when stdin
 * closes.
 * Run: node packages/server/src/testing/chainCoordinator.ts '{"dataDir":…,"rpcUrl":…,"deployment":…,"coordinatorKey":…}'
 */
import { createInterface } from "node:readline";
import { manifestAddresses, readManifest } from "@flock/chain";
import { createLogger } from "@flock/core";
import { createRepositories, openArtifactStore, openDatabase } from "@flock/store";
import type { Hex } from "viem";
import { createApp } from "../app.ts";
import { createChainGateway } from "../chain/createChainGateway.ts";
import type { ServerConfig } from "../deps.ts";
import {
  type CrashPoint,
  crashingChainGateway,
  crashingIndexer,
  crashingRepositories,
} from "./crashPoints.ts";

const options = JSON.parse(process.argv[2] ?? "{}") as {
  dataDir: string;
  rpcUrl: string;
  /** Path of the deployment manifest. */
  deployment: string;
  coordinatorKey: Hex;
  /** Seconds stakes stay locked after a task closes. */
  disputeWindowSec?: number;
  crashAfter?: CrashPoint;
  config?: Partial<ServerConfig>;
  /** The browser FL client's folder, served at /fl/join/. */
  flWebDir?: string;
};
const manifest = readManifest(options.deployment);
const chain = crashingChainGateway(
  createChainGateway({
    rpcUrl: options.rpcUrl,
    chainId: manifest.chainId,
    addresses: manifestAddresses(manifest),
    coordinatorKey: options.coordinatorKey,
    startBlock: BigInt(manifest.blockNumber),
    disputeWindowSec: BigInt(options.disputeWindowSec ?? 1),
  }),
  options.crashAfter,
);
const database = await openDatabase({ dataDir: options.dataDir });
const repos = crashingRepositories(createRepositories(database.db), options.crashAfter);
const artifacts = openArtifactStore(undefined, { defaultFolder: `${options.dataDir}/artifacts` });
const app = await createApp({
  db: database.db,
  repos,
  artifacts,
  chain,
  logger: createLogger("flock-crash-test", { level: process.env.FLOCK_LOG_LEVEL ?? "silent" }),
  network: { rpcUrl: options.rpcUrl, deployment: manifest },
  ...(options.flWebDir === undefined ? {} : { flWeb: { directory: async () => options.flWebDir! } }),
  config: { epochLengthMs: 0, ...options.config },
});
crashingIndexer(app.indexer, repos, options.crashAfter);
app.start();
const url = await app.http.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);

createInterface({ input: process.stdin }).on("close", async () => {
  await app.close();
  await database.close();
  process.exit(0);
});
