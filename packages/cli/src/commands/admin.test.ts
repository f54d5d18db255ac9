import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalChain, manifestAddresses, startLocalChain } from "@flock/chain";
import { createLogger } from "@flock/core";
import { createApp, createChainGateway, type FlockApp } from "@flock/server";
import { createRepositories, type FlockDatabase, openArtifactStore, openDatabase } from "@flock/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureHome, type FlockHome } from "../home.ts";
import { bufferIo } from "../io.ts";
import { writeKeys } from "../keys.ts";
import { main } from "../main.ts";
import { writeNetworkInfo } from "../network/networkFile.ts";

/**
 * `flock admin jobs` against a coordinator over a real anvil: a job stopped by a permanent error is listed with
 * the task it blocks, a participant's retry is refused, the admin's (an operator on-chain) runs it again.
 */
describe("flock admin jobs", () => {
  const root = mkdtempSync(join(tmpdir(), "flock-admin-"));
  let chain: LocalChain;
  let database: FlockDatabase;
  let app: FlockApp;
  let home: FlockHome;

  beforeAll(async () => {
    chain = await startLocalChain({ dataDir: join(root, "chain") });
    database = await openDatabase({ dataDir: join(root, "coordinator") });
    app = await createApp({
      db: database.db,
      repos: createRepositories(database.db),
      artifacts: openArtifactStore(undefined, { defaultFolder: join(root, "coordinator", "artifacts") }),
      chain: createChainGateway({
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        addresses: manifestAddresses(chain.manifest),
        coordinatorKey: chain.roles.coordinator.privateKey,
        startBlock: BigInt(chain.manifest.blockNumber),
      }),
      logger: createLogger("flock-admin-test", { level: "silent" }),
      network: { rpcUrl: chain.rpcUrl, deployment: chain.manifest },
    });
    const apiUrl = await app.http.listen({ host: "127.0.0.1", port: 0 });
    home = ensureHome(join(root, "home"));
    writeNetworkInfo(home, {
      apiUrl,
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deploymentFile: join(root, "chain", "deployment.json"),
      pid: process.pid,
    });
    writeKeys(home, { admin: chain.roles.admin.privateKey, ada: chain.accounts[3]!.privateKey }, "ada");
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await chain?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function flock(...args: string[]) {
    const io = bufferIo();
    const code = await main(["--home", home.root, "--json", ...args], io);
    return { code, out: io.out(), err: io.err() };
  }

  it("lists a stopped job with its task, refuses a participant's retry and runs it again for the admin", async () => {
    const repos = createRepositories(database.db);
    const job = await repos.jobs.schedule({
      kind: "task.finalize",
      runAt: new Date(),
      payload: { taskId: 42 },
    });
    const [claimed] = await repos.jobs.claimDue({ now: new Date(), leaseMs: 60_000 });
    await repos.jobs.fail(
      claimed!,
      "post the roots of epoch 3 was refused",
      undefined,
      "REWARDS_INSUFFICIENT",
    );

    const listed = await flock("admin", "jobs");
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({
        id: job.id,
        kind: "task.finalize",
        taskId: 42,
        errorCode: "REWARDS_INSUFFICIENT",
      }),
    ]);

    const refused = await flock("admin", "jobs", "retry", String(job.id), "--account", "ada");
    expect(refused.code).toBe(1);
    expect(refused.out + refused.err).toContain("NOT_OPERATOR");
    expect((await repos.jobs.get(job.id)).status).toBe("failed");

    const retried = await flock("admin", "jobs", "retry", String(job.id));
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.out)).toMatchObject({ id: job.id, status: "pending", errorCode: null });
    expect(JSON.parse((await flock("admin", "jobs")).out)).toEqual([]);
  }, 60_000);
});
