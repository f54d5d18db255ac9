import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LocalChain } from "@flock/chain";
import { parseFlock } from "@flock/core";
import type { ChainWrite, ChainWriteRepository } from "@flock/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECONCILE_JOB } from "../reconcile/reconciler.ts";
import { startChainWithGateway } from "../testing/chainStaking.ts";
import { startTestApp, type TestApp } from "../testing/testApp.ts";
import type { ChainGateway } from "./chainGateway.ts";
import { journaledChainGateway } from "./journaledChainGateway.ts";

/**
 * A coordinator that dies between sending a chain write and seeing it mined: the journal already holds the
 * transaction's hash (recorded when the node accepted it), and the reconciler of the next process looks that
 * transaction up — pending: left alone; mined: confirmed with that very hash.
 */
describe("the chain-writes journal records a transaction when it is sent (real anvil)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "flock-sent-journal-"));
  let chain: LocalChain;
  let gateway: ChainGateway;
  let t: TestApp;

  async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
    const response = await fetch(chain.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    return ((await response.json()) as { result: unknown }).result;
  }

  async function reconcile() {
    await t.repos.jobs.schedule({ kind: RECONCILE_JOB, key: `test:${Math.random()}`, runAt: new Date() });
    await t.app.scheduler.runDue();
    return (await t.app.http.inject({ method: "GET", url: "/health" })).json().chainDifferences as {
      kind: string;
    }[];
  }

  beforeAll(async () => {
    ({ chain, gateway } = await startChainWithGateway(join(dataDir, "chain")));
    t = await startTestApp({ dataDir: join(dataDir, "coordinator"), chain: gateway });
  }, 60_000);
  afterAll(async () => {
    await rpc("evm_setAutomine", [true]).catch(() => undefined);
    await t?.close();
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a write sent but not mined when its process died is confirmed by the reconciler with its hash", async () => {
    const now = Date.now();
    const task = {
      taskId: 9101,
      minStake: parseFlock("100"),
      minLockDays: 0,
      submissionDeadline: new Date(now + 3_600_000),
      endTime: new Date(now + 7_200_000),
    };
    const key = `task:${task.taskId}:create`;
    // The process that sends dies before it hears of the receipt: its journal never confirms anything.
    const journal = t.repos.chainWrites;
    const dying = {
      intend: (write: { kind: string; key: string }) => journal.intend(write),
      markSent: (k: string, hash: string) => journal.markSent(k, hash),
      confirm: () => new Promise<ChainWrite>(() => undefined),
    } as unknown as ChainWriteRepository;
    await rpc("evm_setAutomine", [false]);
    void journaledChainGateway(gateway, dying).registerTask(task);

    let write: ChainWrite | undefined;
    for (let i = 0; i < 200 && write?.status !== "sent"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      write = await t.repos.chainWrites.find(key);
    }
    expect(write).toMatchObject({ kind: "createTask", status: "sent", txHash: expect.stringMatching(/^0x/) });
    const txHash = write!.txHash as `0x${string}`;
    expect(await gateway.transactionOutcome(txHash)).toBe("pending");

    // Before it is mined the next process's reconciler leaves it for the chain to decide.
    expect((await reconcile()).map((d) => d.kind)).not.toContain("chain-write-lost");
    expect(await t.repos.chainWrites.find(key)).toMatchObject({ status: "sent", txHash });

    await rpc("evm_mine");
    await rpc("evm_setAutomine", [true]);
    expect(await gateway.transactionOutcome(txHash)).toBe("success");
    await reconcile();
    expect(await t.repos.chainWrites.find(key)).toMatchObject({ status: "confirmed", txHash });
    expect(await gateway.chainTask(task.taskId)).toMatchObject({ status: "open" });
  }, 60_000);

  it("a sent transaction the node never heard of is reported, not confirmed", async () => {
    const key = "slash:9102:0x00000000000000000000000000000000000000aa:0x01";
    await t.repos.chainWrites.intend({ kind: "slash", key });
    await t.repos.chainWrites.markSent(key, `0x${"ee".repeat(32)}`);
    expect(await gateway.transactionOutcome(`0x${"ee".repeat(32)}`)).toBe("missing");
    const differences = await reconcile();
    expect(differences).toContainEqual(
      expect.objectContaining({ kind: "chain-write-lost", repaired: false }),
    );
    expect(await t.repos.chainWrites.find(key)).toMatchObject({ status: "sent" });
  });
});
