import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@flock/core";
import { describe, expect, it } from "vitest";
import { coordinatorOptionsFromEnv, startCoordinator } from "./startCoordinator.ts";

describe("the coordinator process wiring", () => {
  it("reads its options from the environment, refusing a half-configured remote chain", () => {
    expect(coordinatorOptionsFromEnv({ FLOCK_HOME: "/data", FLOCK_API_PORT: "9000" })).toEqual({
      dataDir: "/data",
      chain: { kind: "local" },
      host: "127.0.0.1",
      port: 9000,
    });
    const key = `0x${"1".repeat(64)}`;
    expect(
      coordinatorOptionsFromEnv({
        FLOCK_HOME: "/data",
        DATABASE_URL: "postgres://x/y",
        FLOCK_RPC_URL: "http://node:8545",
        FLOCK_DEPLOYMENT: "/data/deployment.json",
        FLOCK_COORDINATOR_KEY: key,
      }),
    ).toMatchObject({
      databaseUrl: "postgres://x/y",
      chain: {
        kind: "remote",
        rpcUrl: "http://node:8545",
        manifestPath: "/data/deployment.json",
        coordinatorKey: key,
      },
    });
    expect(() => coordinatorOptionsFromEnv({ FLOCK_RPC_URL: "http://node:8545" })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
    expect(() => coordinatorOptionsFromEnv({ FLOCK_API_PORT: "http" })).toThrow(
      expect.objectContaining({ code: "CONFIG_INVALID" }),
    );
    expect(
      coordinatorOptionsFromEnv({
        FLOCK_ARTIFACTS: "s3://flock-artifacts/prod?endpoint=http://127.0.0.1:9000",
      }),
    ).toMatchObject({ artifacts: "s3://flock-artifacts/prod?endpoint=http://127.0.0.1:9000" });
    expect(coordinatorOptionsFromEnv({ FLOCK_FLWEB_DIR: "/srv/flweb" })).toMatchObject({
      flWebDir: "/srv/flweb",
    });
    expect(coordinatorOptionsFromEnv({ FLOCK_FLWEB_DIR: "" })).not.toHaveProperty("flWebDir");
  });

  it("refuses a malformed artifact store location before it starts anything", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "flock-coordinator-"));
    try {
      await expect(
        startCoordinator({ dataDir, chain: { kind: "local" }, artifacts: "gs://bucket/x" }),
      ).rejects.toMatchObject({ code: "ARTIFACT_STORE_URL_INVALID", hint: expect.stringContaining("s3://") });
      // No chain or database was started in the folder.
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("starts on a data folder with a local chain, serves HTTP on 127.0.0.1, and stops everything", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "flock-coordinator-"));
    try {
      // A real logger at info: request logs go through the Flock logger's JSON formatter (captured here).
      const lines: string[] = [];
      const logger = createLogger("coordinator-test", {
        level: "info",
        hooks: {
          streamWrite: (line: string) => {
            lines.push(line);
            return "";
          },
        },
      });
      const coordinator = await startCoordinator({ dataDir, chain: { kind: "local" }, logger });
      try {
        expect(coordinator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        const health = await (await fetch(`${coordinator.url}/health`)).json();
        expect(health).toMatchObject({ ok: true, chainId: 31337, failedJobs: [], chainDifferences: [] });
        expect((health as { requestVerifier: string }).requestVerifier).toMatch(/^0x[0-9a-f]{40}$/);
        // What a joining node reads: the chain's RPC URL and the deployment it started.
        const network = (await (await fetch(`${coordinator.url}/network`)).json()) as {
          deployment: { contracts: Record<string, { address: string }> };
        };
        expect(network).toMatchObject({
          chainId: 31337,
          rpcUrl: coordinator.localChain!.rpcUrl,
          deployment: { format: "flock-deployment/1", chainId: 31337 },
        });
        expect(network.deployment.contracts.FlockToken?.address).toBe(
          coordinator.localChain!.addresses.FlockToken,
        );
        expect(coordinator.localChain?.rpcUrl).toMatch(/127\.0\.0\.1/);
        expect((await fetch(`${coordinator.url}/tasks/12345`)).status).toBe(404);
        const completed = lines.map((line) => JSON.parse(line)).filter((l) => l.msg === "request completed");
        expect(completed.map((l) => [l.method, l.url, l.statusCode])).toEqual([
          ["GET", "/health", 200],
          ["GET", "/network", 200],
          ["GET", "/tasks/12345", 404],
        ]);
      } finally {
        await coordinator.close();
      }
      await expect(fetch(`${coordinator.url}/health`)).rejects.toThrow();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
