import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type LocalChain, localUrlFor, startLocalChain } from "@flock/chain";
import { ConfigError, createLogger, type Logger } from "@flock/core";
import { flWebDirectory } from "@flock/flweb";
import { type Clock, createApp, createChainGateway, type FlockApp, type ServerConfig } from "@flock/server";
import {
  type ArtifactStore,
  createRepositories,
  type FlockDatabase,
  openArtifactStore,
  openDatabase,
  type Repositories,
} from "@flock/store";
import type { FlockHome } from "../home.ts";
import { writeHomeFile } from "../homeFiles.ts";
import { writeDevKeys } from "../keys.ts";
import { removeNetworkInfo, writeNetworkInfo } from "./networkFile.ts";

export interface EmbeddedNetworkOptions {
  home: FlockHome;
  /** API port (0: a free one). */
  port?: number;
  /**
   * Address the API and the chain listen on (default 127.0.0.1); 0.0.0.0 lets other machines join. The local
   * chain's dev keys are public and its accounts unlocked: only on a network you trust.
   */
  host?: string;
  /** Host name other machines reach this one by, given out by `GET /network` (default: the listen address). */
  advertise?: string;
  clock?: Clock;
  serverConfig?: Partial<ServerConfig>;
  logger?: Logger;
  /** A PostgreSQL URL (from `DATABASE_URL`); PGlite in the home when absent. */
  databaseUrl?: string;
  /** The artifact store (from `FLOCK_ARTIFACTS`): a folder or an `s3://` URL; the home's folder when absent. */
  artifacts?: string;
  /** Where S3 credentials come from (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); the process's by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Seconds after a task closes before its stakes can be withdrawn (the coordinator's tasks register it
   * on-chain); the chain gateway's default (a day) when absent.
   */
  disputeWindowSec?: bigint;
}

/**
 * A whole network in one process (SPEC §5 embedded default): anvil, PGlite (or PostgreSQL when a URL is
 * given), artifact folder, coordinator.
 */
export interface EmbeddedNetwork {
  apiUrl: string;
  chain: LocalChain;
  database: FlockDatabase;
  repos: Repositories;
  artifacts: ArtifactStore;
  app: FlockApp;
  /** Stop the coordinator, close the database and stop anvil (which saves the chain's state). */
  stop(): Promise<void>;
}

/** Bring up the embedded network of a home and record how to reach it in the home's `network.json`. */
export async function startEmbeddedNetwork(options: EmbeddedNetworkOptions): Promise<EmbeddedNetwork> {
  const { home } = options;
  const logger = options.logger ?? createLogger("flock-up", { level: "silent" });
  // Opened before anything starts: a malformed location is refused with nothing to stop.
  const artifacts = openArtifactStore(options.artifacts, {
    defaultFolder: home.artifactsDir,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const host = options.host ?? "127.0.0.1";
  // The chain keeps its port from one start to the next, so homes that joined this network (they were given
  // the RPC URL) still reach it after a restart; a taken port falls back to a free one.
  const portFile = join(home.chainDir, "rpc-port");
  const saved = existsSync(portFile) ? Number(readFileSync(portFile, "utf8").trim()) : 0;
  const previousPort = Number.isSafeInteger(saved) && saved > 0 && saved < 65536 ? saved : 0;
  let chain: LocalChain;
  try {
    chain = await startLocalChain({
      dataDir: home.chainDir,
      host,
      port: previousPort,
    });
  } catch (error) {
    if (previousPort === 0 || (error as { code?: string }).code !== "ANVIL_EXITED") throw error;
    chain = await startLocalChain({ dataDir: home.chainDir, host });
  }
  writeHomeFile(portFile, `${new URL(chain.rpcUrl).port}\n`);
  // What joining nodes are told: the chain at the advertised name (the local home keeps loopback URLs).
  const advertised = options.advertise ?? host;
  const publicRpcUrl = localUrlFor(advertised, Number(new URL(chain.rpcUrl).port));
  const stops: (() => Promise<void>)[] = [async () => artifacts.close?.(), () => chain.stop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
    stops.length = 0;
  };
  try {
    const database = await openDatabase(
      options.databaseUrl === undefined ? { dataDir: home.root } : { databaseUrl: options.databaseUrl },
    );
    stops.push(() => database.close());
    const repos = createRepositories(database.db);
    const gateway = createChainGateway({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      addresses: chain.addresses,
      coordinatorKey: chain.roles.coordinator.privateKey,
      startBlock: BigInt(chain.manifest.blockNumber),
      ...(options.disputeWindowSec === undefined ? {} : { disputeWindowSec: options.disputeWindowSec }),
    });
    const app = await createApp({
      db: database.db,
      repos,
      artifacts,
      chain: gateway,
      logger,
      network: { rpcUrl: publicRpcUrl, deployment: chain.manifest },
      // The browser FL client at /fl/join/, built on its first request when this clone has no build yet.
      flWeb: { directory: () => flWebDirectory() },
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      // The embedded network is a development network: an epoch closes as soon as a task is ready to settle
      // (each emission mint still funds one epoch) and validators have 30 s after a task's end to reveal their
      // scores, so a story ends in minutes instead of at the day's end.
      // Epochs close as soon as something is ready; usage revenue is looked for every few seconds.
      config: { epochLengthMs: 0, revealWindowMs: 30_000, emissionPollMs: 5_000, ...options.serverConfig },
    });
    stops.push(() => app.close());
    try {
      await app.http.listen({ host, port: options.port ?? 0 });
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== "EADDRINUSE") throw cause;
      throw new ConfigError("PORT_IN_USE", `port ${options.port} on ${host} is already in use`, {
        hint: "stop what listens there, or pass --port with another port (0 picks a free one)",
        cause,
      });
    }
    const address = app.http.server.address();
    const port = typeof address === "object" && address !== null ? address.port : (options.port ?? 0);
    const apiUrl = localUrlFor(host, port);
    app.start();
    writeDevKeys(home, chain.accounts);
    writeNetworkInfo(home, {
      apiUrl,
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deploymentFile: join(home.chainDir, "deployment.json"),
      pid: process.pid,
    });
    stops.splice(1, 0, async () => removeNetworkInfo(home));
    return { apiUrl, chain, database, repos, artifacts, app, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
