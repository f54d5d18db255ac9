import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LocalChain, readEvents } from "@flock/chain";
import { parseFlock } from "@flock/core";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyFailure } from "../scheduler/jobFailure.ts";
import { startChainWithGateway } from "../testing/chainStaking.ts";
import type { ChainGateway, EpochRootPost } from "./chainGateway.ts";

const bytes32 = (byte: string) => `0x${byte.repeat(32)}` as Hex;

/**
 * The coordinator's chain writes on a real anvil, sent again as a job re-run after a crash would send them: the
 * chain is read first, "already done" is done (one event on-chain, the first transaction returned), and the
 * same write with other values is refused with a permanent error before anything is sent.
 */
describe("chain writes are reconciled with what the chain holds (real anvil)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "flock-reconciled-writes-"));
  let chain: LocalChain;
  let gateway: ChainGateway;
  const now = Date.now();
  const task = {
    taskId: 7001,
    minStake: parseFlock("100"),
    minLockDays: 0,
    submissionDeadline: new Date(now + 3_600_000),
    endTime: new Date(now + 7_200_000),
  };

  beforeAll(async () => {
    ({ chain, gateway } = await startChainWithGateway(join(dataDir, "chain")));
  }, 60_000);
  afterAll(async () => {
    await chain?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function count(
    kind: "taskCreated" | "taskStatusSet" | "epochRootPosted",
    match: (args: never) => boolean,
  ) {
    let n = 0;
    for await (const event of readEvents(chain.clientFor(chain.accounts[0]!), {
      fromBlock: BigInt(chain.manifest.blockNumber),
      kinds: [kind],
    })) {
      if (event.kind === kind && match(event.args as never)) n++;
    }
    return n;
  }

  it("a task registered twice is registered once; other terms for its id are refused", async () => {
    await gateway.registerTask(task);
    await gateway.registerTask(task);
    expect(await count("taskCreated", (a: { taskId: bigint }) => a.taskId === 7001n)).toBe(1);
    expect(await gateway.chainTask(task.taskId)).toMatchObject({ status: "open", minStake: task.minStake });
    const other = gateway.registerTask({ ...task, minStake: parseFlock("1") });
    await expect(other).rejects.toMatchObject({ code: "TASK_REGISTERED_OTHERWISE" });
    expect(classifyFailure(await other.catch((e: unknown) => e))).toBe("permanent");
    expect((await gateway.chainTask(task.taskId)).minStake).toBe(task.minStake);
  });

  it("a task closed twice is closed once; an unknown task's close is a permanent refusal", async () => {
    await gateway.closeTask(task.taskId);
    await gateway.closeTask(task.taskId);
    expect(
      await count(
        "taskStatusSet",
        (a: { taskId: bigint; status: number }) => a.taskId === 7001n && a.status === 3,
      ),
    ).toBe(1);
    expect((await gateway.chainTask(task.taskId)).closedAt).not.toBeNull();
    const unknown = gateway.closeTask(987_654);
    await expect(unknown).rejects.toMatchObject({ code: "TASK_NOT_FOUND" });
    expect(classifyFailure(await unknown.catch((e: unknown) => e))).toBe("permanent");
  });

  it("roots posted twice are posted once and the first transaction is returned; other roots are refused", async () => {
    const post: EpochRootPost = {
      epoch: 901n,
      // An epoch that pays nothing: empty trees (zero roots) and a zero total, as the contract requires.
      liquidRoot: bytes32("00"),
      vestingRoot: bytes32("00"),
      reportHash: bytes32("33"),
      total: 0n,
      pools: [],
    };
    const first = await gateway.postEpochRoot(post);
    const again = await gateway.postEpochRoot(post);
    expect(again.transactionHash).toBe(first.transactionHash);
    expect(await count("epochRootPosted", (a: { epoch: bigint }) => a.epoch === 901n)).toBe(1);
    expect(await gateway.postedEpoch(901n)).toMatchObject({
      reportHash: post.reportHash,
      transactionHash: first.transactionHash,
    });
    const other = gateway.postEpochRoot({ ...post, reportHash: bytes32("44") });
    await expect(other).rejects.toMatchObject({ code: "EPOCH_POSTED_OTHERWISE" });
    expect(classifyFailure(await other.catch((e: unknown) => e))).toBe("permanent");
    expect((await gateway.postedEpoch(901n))?.reportHash).toBe(post.reportHash);
    expect(await gateway.postedEpoch(902n)).toBeNull();
  });
});
