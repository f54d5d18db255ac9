import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  AuthError,
  contentId,
  type FlockError,
  NotFoundError,
  scoreCommitment,
  sha256Hex,
} from "@flock/core";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlockClient } from "./client.ts";
import type { LiveEvent } from "./types.ts";

// The coordinator runs in its own process, reached over HTTP on loopback like any participant would.
const SERVER = fileURLToPath(new URL("../../server/src/testing/testServer.ts", import.meta.url));
const WAD = 10n ** 18n;
/** Dev account 0 of the public development mnemonic: an operator on the test coordinator's chain (SPEC §3). */
const OPERATOR = mnemonicToAccount("test test test test test test test test test test test junk");

describe("the SDK against a real coordinator on 127.0.0.1", () => {
  let server: ChildProcessWithoutNullStreams;
  let lines: Interface;
  let baseUrl: string;
  const replies: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const line = replies.shift();
      if (line !== undefined) resolve(line);
      else waiters.push(resolve);
    });

  async function stake(taskId: number, account: string, role: "trainer" | "validator", amount: bigint) {
    server.stdin.write(
      `${JSON.stringify({ op: "stake", taskId, account, role, amount: amount.toString() })}\n`,
    );
    expect(JSON.parse(await nextLine())).toEqual({ ok: true });
  }

  beforeAll(async () => {
    server = spawn(
      process.execPath,
      [
        SERVER,
        JSON.stringify({
          validatorsPerSubmission: 1,
          revealWindowMs: 2000,
        }),
      ],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    server.stderr.on("data", (chunk) => process.stderr.write(chunk));
    lines = createInterface({ input: server.stdout });
    lines.on("line", (line) => {
      const waiter = waiters.shift();
      if (waiter !== undefined) waiter(line);
      else replies.push(line);
    });
    baseUrl = (JSON.parse(await nextLine()) as { url: string }).url;
  });
  afterAll(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.stdin.end();
      await exited;
    }
  });

  it("runs a task end to end: create, stake, commit, upload, validate, settle, prove, stream", async () => {
    // An operator's task paid from emission opens at once.
    const creator = createFlockClient({ baseUrl, account: OPERATOR });
    const trainerAccount = privateKeyToAccount(generatePrivateKey());
    const validatorAccount = privateKeyToAccount(generatePrivateKey());
    const trainer = createFlockClient({ baseUrl, account: trainerAccount });
    const validator = createFlockClient({ baseUrl, account: validatorAccount, chainId: 31337 });
    const reader = createFlockClient({ baseUrl });

    expect(await reader.health()).toMatchObject({
      ok: true,
      chainId: 31337,
      requestVerifier: expect.stringMatching(/^0x[0-9a-f]{40}$/),
      failedJobs: [],
      chainDifferences: [],
    });
    const hidden = new TextEncoder().encode('{"conversations":[]}\n');
    // Public inputs are published first: one in memory, one streamed under its content id.
    const baseModel = new TextEncoder().encode("base model weights");
    const published = await creator.artifacts.publish(baseModel);
    expect(published).toMatchObject({ id: contentId(baseModel), size: baseModel.length });
    const training = new TextEncoder().encode('{"conversations":[]}\n{"conversations":[]}\n');
    await creator.artifacts.publish({
      stream: new ReadableStream({
        start(controller) {
          controller.enqueue(training.slice(0, 7));
          controller.enqueue(training.slice(7));
          controller.close();
        },
      }),
      contentId: contentId(training),
    });
    const progress: { bytes: number; totalBytes: number }[] = [];
    expect(await reader.artifacts.download(contentId(baseModel), (p) => progress.push(p))).toEqual(baseModel);
    // Progress follows the bytes received, against the declared length, and ends at the whole artifact.
    expect(progress.at(-1)).toEqual({ bytes: baseModel.length, totalBytes: baseModel.length });
    expect(progress.every((p, i) => i === 0 || p.bytes >= progress[i - 1]!.bytes)).toBe(true);
    expect((await reader.artifacts.info(contentId(training))).size).toBe(training.length);
    await expect(reader.artifacts.download(contentId(hidden))).rejects.toMatchObject({
      code: "ARTIFACT_NOT_PUBLIC",
      details: { httpStatus: 404 },
    });
    const task = await creator.tasks.create({
      title: "SDK task",
      description: "end to end over HTTP",
      type: "lm-lora",
      baseModel: published.id,
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: contentId(training),
      validationCommitment: contentId(hidden),
      submissionDeadline: new Date(Date.now() + 3000),
      endTime: new Date(Date.now() + 6000),
      rewardWeight: 5n,
      minStake: 1000n * WAD,
      minLockDays: 0,
    });
    expect(task).toMatchObject({ status: "open", rewardWeight: 5n, minStake: 1000n * WAD });
    expect((await reader.tasks.get(task.id)).title).toBe("SDK task");
    expect((await reader.tasks.list({ status: "open" })).items.map((t) => t.id)).toContain(task.id);
    await creator.tasks.uploadValidationSet(task.id, hidden);

    await stake(task.id, trainerAccount.address, "trainer", 2000n * WAD);
    await stake(task.id, validatorAccount.address, "validator", 3000n * WAD);
    const artifact = new TextEncoder().encode("adapter bytes");
    const committed = await trainer.submissions.commit(task.id, contentId(artifact));
    expect(committed.status).toBe("committed");
    // Streamed upload: the signature covers the committed content id.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(artifact.slice(0, 5));
        controller.enqueue(artifact.slice(5));
        controller.close();
      },
    });
    const uploaded = await trainer.submissions.uploadArtifact(committed.id, {
      stream,
      contentId: contentId(artifact),
    });
    expect(uploaded).toMatchObject({ status: "accepted", artifactSize: artifact.length });
    expect((await reader.submissions.list(task.id)).map((s) => s.id)).toEqual([committed.id]);
    expect((await reader.submissions.get(committed.id)).artifactId).toBe(contentId(artifact));

    await expect
      .poll(async () => (await reader.tasks.get(task.id)).status, { timeout: 10_000, interval: 200 })
      .toBe("validating");
    const [assignment] = await validator.assignments.list();
    expect(assignment).toMatchObject({
      submissionId: committed.id,
      validator: validatorAccount.address.toLowerCase(),
    });
    expect(await validator.assignments.validationSet(assignment!.id)).toEqual(hidden);
    expect(await validator.assignments.artifact(assignment!.id)).toEqual(artifact);
    // Commit-reveal (SPEC §2.1): a commitment before the end, the score and salt after it.
    const scoreValue = 1_250_000_000_000_000_000n;
    const salt = `0x${"c3".repeat(16)}`;
    const committedScore = await validator.assignments.commitScore(
      assignment!.id,
      scoreCommitment({ assignmentId: assignment!.id, score: scoreValue, salt }),
    );
    expect(committedScore).toMatchObject({ status: "committed" });
    expect(await validator.assignments.list("committed")).toHaveLength(1);
    const refused = await validator.assignments
      .refuse(assignment!.id, "already committed")
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: "ASSIGNMENT_CLOSED",
      details: { httpStatus: 409, status: "committed" },
    });
    const early = await validator.assignments
      .revealScore(assignment!.id, { score: scoreValue, salt, evidence: { bpc: 1.25 } })
      .catch((error: unknown) => error);
    expect(early).toMatchObject({ code: "REVEAL_TOO_EARLY", details: { httpStatus: 409 } });
    // Nothing of the score shows before the reveals close.
    expect((await reader.tasks.leaderboard(task.id))[0]).toMatchObject({ consensusScore: null, reports: 0 });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, new Date(task.endTime).getTime() - Date.now() + 300)),
    );
    const score = await validator.assignments.revealScore(assignment!.id, {
      score: scoreValue,
      salt,
      evidence: { bpc: 1.25 },
    });
    expect(score.score).toBe(scoreValue);
    expect(await validator.assignments.list("reported")).toHaveLength(1);

    await expect
      .poll(async () => (await reader.epochs.list({ taskId: task.id }))[0]?.txHash ?? null, {
        timeout: 10_000,
        interval: 200,
      })
      .not.toBeNull();
    expect(await reader.tasks.leaderboard(task.id)).toEqual([
      {
        rank: 0,
        submissionId: committed.id,
        trainer: trainerAccount.address.toLowerCase(),
        consensusScore: 1_250_000_000_000_000_000n,
        reports: 1,
      },
    ]);
    const [epoch] = await reader.epochs.list({ taskId: task.id });
    expect(await reader.epochs.get(epoch!.number)).toEqual(epoch);
    const report = await reader.epochs.report(epoch!.number);
    expect(`0x${sha256Hex(report)}`).toBe(epoch!.reportHash);
    const proofs = await reader.epochs.proofs(epoch!.number, trainerAccount.address);
    expect(proofs.vesting!.amount).toBeGreaterThan(proofs.liquid!.amount); // trainers vest 90%
    expect(proofs.vesting!.proof.every((p) => /^0x[0-9a-f]{64}$/.test(p))).toBe(true);

    await expect
      .poll(async () => (await reader.tasks.get(task.id)).status, { timeout: 5000, interval: 100 })
      .toBe("closed");
    expect(await reader.tasks.validationSet(task.id)).toEqual(hidden);

    const seen: LiveEvent[] = [];
    const controller = new AbortController();
    for await (const event of reader.events(0, controller.signal)) {
      seen.push(event);
      if (event.type === "epoch.posted") break;
    }
    controller.abort();
    expect(seen.map((e) => e.type)).toEqual(
      expect.arrayContaining(["task.created", "submission.uploaded", "score.revealed", "epoch.posted"]),
    );
    expect(seen.find((e) => e.type === "epoch.posted")!.data).toMatchObject({ tasks: [task.id] });
  }, 30_000);

  it("a non-operator's emission task is a draft until an operator approves it, then its creator opens it", async () => {
    const creator = createFlockClient({ baseUrl, account: privateKeyToAccount(generatePrivateKey()) });
    const operator = createFlockClient({ baseUrl, account: OPERATOR });
    const training = new TextEncoder().encode('{"conversations":[{"from":"human","value":"draft"}]}\n');
    const base = new TextEncoder().encode("draft base model");
    await creator.artifacts.publish(base);
    await creator.artifacts.publish(training);
    const draft = await creator.tasks.create({
      title: "asks for emission",
      description: "d",
      type: "lm-lora",
      baseModel: contentId(base),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: contentId(training),
      validationCommitment: contentId("the draft's hidden set"),
      submissionDeadline: new Date(Date.now() + 60_000),
      endTime: new Date(Date.now() + 120_000),
      rewardWeight: 4n,
      minStake: 0n,
      minLockDays: 0,
    });
    expect(draft).toMatchObject({ status: "draft", rewardWeight: 4n, pool: 0n, approvedWeight: null });
    expect(draft.next?.join(" ")).toContain(`flock task approve ${draft.id}`);
    await expect(creator.tasks.open(draft.id)).rejects.toMatchObject({ code: "TASK_NOT_APPROVED" });
    await expect(creator.tasks.approve(draft.id, 4n)).rejects.toMatchObject({ code: "NOT_OPERATOR" });
    expect(await operator.tasks.approve(draft.id, 2n)).toMatchObject({ status: "draft", approvedWeight: 2n });
    expect(await creator.tasks.open(draft.id)).toMatchObject({ status: "open", approvedWeight: 2n });
  });

  it("turns refusals back into FlockErrors with the coordinator's code and hint", async () => {
    const reader = createFlockClient({ baseUrl });
    const missing = await reader.tasks.get(999_999).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ code: "TASK_NOT_FOUND", hint: "list tasks to find a valid id" });

    const stranger = createFlockClient({ baseUrl, account: privateKeyToAccount(generatePrivateKey()) });
    const [task] = (await reader.tasks.list()).items;
    const refused = await stranger.submissions
      .commit(task!.id, contentId("x"))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AuthError);
    expect((refused as FlockError).code).toBe("STAKE_REQUIRED");

    const anonymous = await reader.assignments.list().catch((error: unknown) => error);
    expect(anonymous).toMatchObject({ code: "ACCOUNT_REQUIRED" });
    // A client signing for the wrong chain is refused by the coordinator.
    const wrongChain = createFlockClient({
      baseUrl,
      account: privateKeyToAccount(generatePrivateKey()),
      chainId: 1,
    });
    expect(await wrongChain.assignments.list().catch((error: unknown) => error)).toMatchObject({
      code: "AUTH_BAD_SIGNATURE",
    });
    // So is one signing for another deployment on the same chain (another TaskStaking address).
    const wrongDeployment = createFlockClient({
      baseUrl,
      account: privateKeyToAccount(generatePrivateKey()),
      requestVerifier: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
    });
    expect(await wrongDeployment.assignments.list().catch((error: unknown) => error)).toMatchObject({
      code: "AUTH_BAD_SIGNATURE",
    });
  });
});

describe("retries", () => {
  it("retries an idempotent read after 503s with backoff, and never retries a write", async () => {
    let hits = 0;
    const flaky = createServer((request, response) => {
      hits += 1;
      if (request.method === "GET" && hits < 3) {
        response.writeHead(503, { "content-type": "application/json" });
        response.end(JSON.stringify({ code: "DATABASE_UNREACHABLE", message: "down", hint: "retry later" }));
        return;
      }
      response.writeHead(request.method === "GET" ? 200 : 503, { "content-type": "application/json" });
      response.end(
        request.method === "GET"
          ? JSON.stringify({ ok: true, chainId: 7 })
          : JSON.stringify({ code: "DATABASE_UNREACHABLE", message: "down" }),
      );
    });
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    const baseUrl = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
    try {
      const account = privateKeyToAccount(generatePrivateKey());
      const client = createFlockClient({
        baseUrl,
        retryDelayMs: 10,
        account,
        chainId: 7,
        requestVerifier: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      });
      const started = Date.now();
      expect(await client.health()).toEqual({ ok: true, chainId: 7 });
      expect(hits).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(30); // 10 + 20 ms of backoff
      hits = 10;
      const write = await client.submissions.commit(1, contentId("x")).catch((error: unknown) => error);
      expect(write).toMatchObject({ code: "DATABASE_UNREACHABLE" });
      expect(hits).toBe(11);
      const gaveUp = await createFlockClient({ baseUrl: "http://127.0.0.1:1", retries: 1, retryDelayMs: 1 })
        .health()
        .catch((error: unknown) => error);
      expect(gaveUp).toMatchObject({ code: "COORDINATOR_UNREACHABLE" });
    } finally {
      await new Promise((resolve) => flaky.close(resolve));
    }
  });
});
