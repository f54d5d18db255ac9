import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localDeploymentSettings } from "@flock/contracts";
import { parseFlock } from "@flock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTask } from "./actions/createTask.ts";
import { fundTask } from "./actions/fundTask.ts";
import { getTaskPool } from "./actions/getTaskPool.ts";
import { createFlockClient } from "./client.ts";
import { collectEvents } from "./readEvents.ts";
import { type LocalChain, startLocalChain } from "./startLocalChain.ts";

let dataDir: string;
let chain: LocalChain;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flock-submit-"));
  chain = await startLocalChain({ dataDir });
});
afterAll(async () => {
  await chain?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

// Many creators posting tasks at once make the coordinator send many transactions at once; each send must
// take its own nonce (a shared pending count raced to NONCE_TOO_LOW before sends were queued per account).
describe("one send queue per account", () => {
  it("12 concurrent coordinator writes from two clients of the same key all succeed, each with its own nonce", async () => {
    const gateway = chain.clientFor(chain.roles.coordinator);
    // a second client for the same key, as another part of the coordinator would build from the manifest
    const settlement = createFlockClient({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      addresses: chain.addresses,
      privateKey: chain.roles.coordinator.privateKey,
      pollingIntervalMs: 50,
    });
    const head = await gateway.publicClient.getBlock({ blockTag: "latest" });
    const end = head.timestamp + 86_400n;
    const ids = Array.from({ length: 12 }, (_, i) => BigInt(100 + i));
    const results = await Promise.allSettled(
      ids.map((taskId, i) =>
        createTask(i % 2 === 0 ? gateway : settlement, {
          taskId,
          minStake: localDeploymentSettings.minStakeFloor,
          minLockDays: 0,
          submissionDeadline: end,
          endTime: end,
          disputeWindowSec: 0n,
        }),
      ),
    );
    const failures = results.flatMap((result) =>
      result.status === "rejected" ? [String(result.reason)] : [],
    );
    expect(failures).toEqual([]);
    const created = await collectEvents(gateway, {
      fromBlock: head.number,
      kinds: ["taskCreated"],
    });
    expect(created.map((event) => (event.kind === "taskCreated" ? event.args.taskId : -1n)).sort()).toEqual(
      ids,
    );
    const nonces = await Promise.all(
      results.map(async (result) => {
        if (result.status !== "fulfilled") throw new Error("unreachable");
        const tx = await gateway.publicClient.getTransaction({ hash: result.value.transactionHash });
        return tx.nonce;
      }),
    );
    expect(new Set(nonces).size).toBe(ids.length);
  });

  it("a refused send does not hold up the account's queue", async () => {
    const creators = [3, 4, 5, 6].map((i) => chain.clientFor(chain.accounts[i]!));
    const coordinator = chain.clientFor(chain.roles.coordinator);
    const end = (await coordinator.publicClient.getBlock({ blockTag: "latest" })).timestamp + 86_400n;
    const [refused, ...rest] = await Promise.allSettled([
      // task 100 exists: refused in simulation, before any nonce is taken
      createTask(coordinator, {
        taskId: 100n,
        minStake: localDeploymentSettings.minStakeFloor,
        minLockDays: 0,
        submissionDeadline: end,
        endTime: end,
        disputeWindowSec: 0n,
      }),
      ...creators.map((client, i) =>
        fundTask(client, { taskId: 100n + BigInt(i), amount: parseFlock("10") }),
      ),
      createTask(coordinator, {
        taskId: 200n,
        minStake: localDeploymentSettings.minStakeFloor,
        minLockDays: 0,
        submissionDeadline: end,
        endTime: end,
        disputeWindowSec: 0n,
      }),
    ]);
    expect(refused).toMatchObject({ status: "rejected", reason: { code: "TASK_EXISTS" } });
    expect(rest.map((result) => result.status)).toEqual(Array(rest.length).fill("fulfilled"));
    expect(await getTaskPool(coordinator, { taskId: 103n })).toBe(parseFlock("10"));
  });
});
