import { join } from "node:path";
import { type LocalChain, manifestAddresses, readManifest, startLocalChain } from "@flock/chain";
import { ConfigError, createLogger, type Logger } from "@flock/core";
import { createRepositories, describeArtifactStore, openArtifactStore, openDatabase } from "@flock/store";
import type { Hex } from "viem";
import { createApp, type FlockApp } from "./app.ts";
import type { ChainGateway } from "./chain/chainGateway.ts";
import { createChainGateway } from "./chain/createChainGateway.ts";
import type { PublishedNetwork, ServerConfig } from "./deps.ts";

/** Where the coordinator's chain is: a local anvil in the data folder, or a deployed network. */
export type ChainOption =
  | { kind: "local" }
  | {
      kind: "remote";
      rpcUrl: string;
      manifestPath: string;
      coordinatorKey: Hex;
      /** The JSON-RPC URL participants should use, when it differs from the coordinator's own. */
      publicRpcUrl?: string;
    };

export interface StartCoordinatorOptions {
  /** The data folder: PGlite in `<dataDir>/db`, artifacts in `<dataDir>/artifacts`, a local chain in `<dataDir>/chain`. */
  dataDir: string;
  /** PostgreSQL instead of PGlite. */
  databaseUrl?: string;
  /** The artifact store: a folder path or an `s3://bucket/prefix?endpoint=…` URL (default `<dataDir>/artifacts`). */
  artifacts?: string;
  chain: ChainOption;
  host?: string;
  port?: number;
  config?: Partial<ServerConfig>;
  logger?: Logger;
  /** A built browser FL client (`npm run build -w @flock/flweb` writes packages/flweb/dist) to serve at /fl/join/. */
  flWebDir?: string;
}

export interface RunningCoordinator {
  url: string;
  app: FlockApp;
  /** The local chain, when the coordinator started one. */
  localChain?: LocalChain;
  close(): Promise<void>;
}

/** The process entry's wiring: real database, artifact folder and chain, the app started and listening. */
export async function startCoordinator(options: StartCoordinatorOptions): Promise<RunningCoordinator> {
  const logger = options.logger ?? createLogger("flock-server");
  // Opened first: a malformed location is refused before anything is started.
  const artifactLocation = { defaultFolder: join(options.dataDir, "artifacts") };
  const artifacts = openArtifactStore(options.artifacts, artifactLocation);
  logger.info({ artifacts: describeArtifactStore(options.artifacts, artifactLocation) }, "artifact store");
  let localChain: LocalChain | undefined;
  let chain: ChainGateway;
  let network: PublishedNetwork;
  if (options.chain.kind === "local") {
    localChain = await startLocalChain({ dataDir: join(options.dataDir, "chain") });
    chain = createChainGateway({
      rpcUrl: localChain.rpcUrl,
      chainId: localChain.chainId,
      addresses: localChain.addresses,
      coordinatorKey: localChain.roles.coordinator.privateKey,
      startBlock: BigInt(localChain.manifest.blockNumber),
    });
    network = { rpcUrl: localChain.rpcUrl, deployment: localChain.manifest };
  } else {
    const manifest = readManifest(options.chain.manifestPath);
    chain = createChainGateway({
      rpcUrl: options.chain.rpcUrl,
      chainId: manifest.chainId,
      addresses: manifestAddresses(manifest),
      coordinatorKey: options.chain.coordinatorKey,
      startBlock: BigInt(manifest.blockNumber),
      pollingIntervalMs: 1000,
    });
    network = { rpcUrl: options.chain.publicRpcUrl ?? options.chain.rpcUrl, deployment: manifest };
  }
  const database = await openDatabase(
    options.databaseUrl !== undefined ? { databaseUrl: options.databaseUrl } : { dataDir: options.dataDir },
  );
  const app = await createApp({
    db: database.db,
    repos: createRepositories(database.db),
    artifacts,
    chain,
    logger,
    network,
    ...(options.config === undefined ? {} : { config: options.config }),
    ...(options.flWebDir === undefined ? {} : { flWeb: { directory: async () => options.flWebDir! } }),
  });
  app.start();
  const url = await app.http.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  return {
    url,
    app,
    ...(localChain === undefined ? {} : { localChain }),
    async close() {
      await app.close();
      await database.close();
      await artifacts.close?.();
      await localChain?.stop();
    },
  };
}

/** Read the coordinator's options from the environment (FLOCK_HOME, DATABASE_URL, FLOCK_RPC_URL, …). */
export function coordinatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): StartCoordinatorOptions {
  const dataDir = env.FLOCK_HOME ?? join(env.HOME ?? ".", ".flock");
  const port = env.FLOCK_API_PORT === undefined ? 8420 : Number(env.FLOCK_API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError("CONFIG_INVALID", `FLOCK_API_PORT ${env.FLOCK_API_PORT} is not a port`, {
      hint: "set FLOCK_API_PORT to a number from 0 to 65535",
    });
  }
  let chain: ChainOption = { kind: "local" };
  if (env.FLOCK_RPC_URL !== undefined) {
    const manifestPath = env.FLOCK_DEPLOYMENT;
    const coordinatorKey = env.FLOCK_COORDINATOR_KEY;
    if (
      manifestPath === undefined ||
      coordinatorKey === undefined ||
      !/^0x[0-9a-fA-F]{64}$/.test(coordinatorKey)
    ) {
      throw new ConfigError(
        "CONFIG_INVALID",
        "FLOCK_RPC_URL needs FLOCK_DEPLOYMENT and FLOCK_COORDINATOR_KEY",
        {
          hint: "set FLOCK_DEPLOYMENT to the deployment manifest and FLOCK_COORDINATOR_KEY to the coordinator's 0x key",
        },
      );
    }
    chain = {
      kind: "remote",
      rpcUrl: env.FLOCK_RPC_URL,
      manifestPath,
      coordinatorKey: coordinatorKey as Hex,
      ...(env.FLOCK_PUBLIC_RPC_URL === undefined ? {} : { publicRpcUrl: env.FLOCK_PUBLIC_RPC_URL }),
    };
  }
  return {
    dataDir,
    chain,
    host: env.FLOCK_API_HOST ?? "127.0.0.1",
    port,
    ...(env.DATABASE_URL === undefined ? {} : { databaseUrl: env.DATABASE_URL }),
    ...(env.FLOCK_ARTIFACTS === undefined || env.FLOCK_ARTIFACTS === ""
      ? {}
      : { artifacts: env.FLOCK_ARTIFACTS }),
    ...(env.FLOCK_FLWEB_DIR === undefined || env.FLOCK_FLWEB_DIR === ""
      ? {}
      : { flWebDir: env.FLOCK_FLWEB_DIR }),
  };
}
