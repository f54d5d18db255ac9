import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId, scoreCommitment } from "@flock/core";
import { type LocalAccount, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { operatorAccount } from "./testing/operatorAccount.ts";
import { type ServerProcess, startServerProcess } from "./testing/serverProcess.ts";
import { signedHeaders } from "./testing/signedHeaders.ts";

const WAD = 10n ** 18n;

async function call(
  server: ServerProcess,
  account: LocalAccount | undefined,
  method: string,
  path: string,
  body?: unknown | Uint8Array,
  // biome-ignore lint/suspicious/noExplicitAny: responses are read loosely in this scenario
): Promise<{ status: number; json: () => Promise<any> }> {
  const bytes =
    body === undefined
      ? undefined
      : body instanceof Uint8Array
        ? body
        : new TextEncoder().encode(JSON.stringify(body));
  const headers: Record<string, string> = {};
  if (bytes !== undefined)
    headers["content-type"] = body instanceof Uint8Array ? "application/octet-stream" : "application/json";
  if (account !== undefined) {
    Object.assign(
      headers,
      await signedHeaders({
        account,
        chainId: 31337,
        method,
        path,
        bodyHash: sha256(bytes ?? new Uint8Array()),
      }),
    );
  }
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(bytes === undefined ? {} : { body: bytes }),
  });
  return { status: response.status, json: () => response.json() };
}

describe("coordinator killed with SIGKILL mid-validation", () => {
  let dataDir: string | undefined;
  const servers: ServerProcess[] = [];
  afterAll(async () => {
    for (const server of servers) await server.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it("restarts on the same folder without losing a submission, stake or score, and the task completes", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "flock-crash-"));
    const options = { dataDir, validatorsPerSubmission: 1, revealWindowMs: 3000 };
    const creator = operatorAccount;
    const trainer = privateKeyToAccount(generatePrivateKey());
    const validator = privateKeyToAccount(generatePrivateKey());

    const first = await startServerProcess(options);
    servers.push(first);
    // The task's public inputs are published over HTTP first (a task cannot name unpublished ones).
    const published: string[] = [];
    for (const text of ["base model", "train"]) {
      const bytes = new TextEncoder().encode(text);
      const response = await call(first, creator, "PUT", `/artifacts/${contentId(bytes)}`, bytes);
      expect(response.status).toBe(201);
      published.push((await response.json()).id);
    }
    const start = Date.now();
    const task = await (
      await call(first, creator, "POST", "/tasks", {
        title: "crash",
        description: "d",
        type: "lm-lora",
        baseModel: published[0],
        contextLength: 64,
        maxTrainableParams: 1000,
        trainingSetId: published[1],
        validationCommitment: contentId("hidden"),
        submissionDeadline: new Date(start + 2500).toISOString(),
        endTime: new Date(start + 9000).toISOString(),
        rewardWeight: "1",
        minStake: (1000n * WAD).toString(),
        minLockDays: 0,
      })
    ).json();
    await first.stake(task.id, trainer.address, "trainer", 2000n * WAD);
    await first.stake(task.id, validator.address, "validator", 2000n * WAD);
    const artifact = new TextEncoder().encode("weights");
    const commit = await (
      await call(first, trainer, "POST", `/tasks/${task.id}/submissions`, { commitHash: contentId(artifact) })
    ).json();
    expect(
      (await (await call(first, trainer, "PUT", `/submissions/${commit.id}/artifact`, artifact)).json())
        .status,
    ).toBe("accepted");

    // Mid-validation: the assignment exists, no score yet.
    await expect
      .poll(async () => (await (await call(first, validator, "GET", "/assignments")).json()).items.length, {
        timeout: 8000,
        interval: 100,
      })
      .toBe(1);
    const [assignment] = (await (await call(first, validator, "GET", "/assignments")).json()).items;
    await first.kill();

    const second = await startServerProcess(options);
    servers.push(second);
    expect((await (await call(second, undefined, "GET", `/submissions/${commit.id}`)).json()).status).toBe(
      "accepted",
    );
    const score = 1_100_000_000_000_000_000n;
    const salt = `0x${"5a".repeat(16)}`;
    const committed = await call(second, validator, "POST", `/assignments/${assignment.id}/commitment`, {
      commitment: scoreCommitment({ assignmentId: assignment.id, score, salt }),
    });
    expect(committed.status).toBe(201);
    // The stake index survived: a late commit passes the stake check and is refused only as late.
    const again = await call(second, trainer, "POST", `/tasks/${task.id}/submissions`, {
      commitHash: contentId("late"),
    });
    expect((await again.json()).code).toBe("TASK_NOT_OPEN");
    // After the task's end the score is revealed; the reveal window's close finalizes the task.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + 9300 - Date.now())));
    const revealed = await call(second, validator, "POST", `/assignments/${assignment.id}/reveal`, {
      score: score.toString(),
      salt,
      evidence: { bpc: "1.1" },
    });
    expect(revealed.status).toBe(201);

    await expect
      .poll(
        async () =>
          (await (await call(second, undefined, "GET", `/epochs?taskId=${task.id}`)).json()).items[0]
            ?.txHash ?? null,
        {
          timeout: 12_000,
          interval: 200,
        },
      )
      .not.toBeNull();
    await expect
      .poll(async () => (await (await call(second, undefined, "GET", `/tasks/${task.id}`)).json()).status, {
        timeout: 5000,
        interval: 100,
      })
      .toBe("closed");
    const board = await (await call(second, undefined, "GET", `/tasks/${task.id}/leaderboard`)).json();
    expect(board.items).toEqual([
      {
        rank: 0,
        submissionId: commit.id,
        trainer: trainer.address.toLowerCase(),
        consensusScore: "1100000000000000000",
        reports: 1,
      },
    ]);
  }, 40_000);
});
