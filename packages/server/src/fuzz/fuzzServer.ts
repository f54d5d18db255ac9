import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@flock/core";
import { createRepositories, openArtifactStore, openDatabase } from "@flock/store";
import type { Kysely } from "kysely";
import { createApp } from "../app.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import type { FuzzTarget } from "./fuzzCoordinator.ts";

/**
 * A real coordinator for the fuzzer: PGlite and an artifact folder in a temp folder, the recording chain
 * gateway, listening on 127.0.0.1 only. Rate limits are lifted (the fuzzer is one client sending as fast as
 * it can); background jobs do not run, so every row change comes from a request.
 */
export async function startFuzzServer(): Promise<FuzzTarget & { close(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), "flock-fuzz-"));
  const database = await openDatabase({ dataDir });
  const repos = createRepositories(database.db);
  const artifacts = openArtifactStore(undefined, { defaultFolder: join(dataDir, "artifacts") });
  const chain = createRecordingChainGateway();
  const app = await createApp({
    db: database.db,
    repos,
    artifacts,
    chain,
    logger: createLogger("flock-fuzz", { level: "silent" }),
    config: { rateLimitPerAccount: 1e12, rateLimitPerIp: 1e12, uploadIdleTimeoutMs: 5_000 },
  });
  const url = await app.http.listen({ host: "127.0.0.1", port: 0 });
  return {
    url,
    db: database.db as unknown as Kysely<unknown>,
    chainId: chain.chainId,
    requestVerifier: chain.requestVerifier,
    async close() {
      await app.close();
      await database.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
