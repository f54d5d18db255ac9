import { ChainError, createLogger, StorageError, ValidationError } from "@flock/core";
import { HttpRequestError } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { classifyFailure } from "./jobFailure.ts";
import { createScheduler } from "./scheduler.ts";

const T0 = new Date("2026-03-01T00:00:00Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

describe("classifying a job's failure", () => {
  it("an unreachable chain or database is transient, a contract's refusal or invalid input permanent", () => {
    const unreachable = new ChainError(
      "CHAIN_UNREACHABLE",
      "post the roots failed: the chain node did not answer",
    );
    expect(classifyFailure(unreachable)).toBe("transient");
    expect(classifyFailure(new StorageError("DATABASE_UNREACHABLE", "could not connect"))).toBe("transient");
    // A raw transport error of viem, and one wrapped in another error's cause.
    const raw = new HttpRequestError({ url: "http://127.0.0.1:1" });
    expect(classifyFailure(raw)).toBe("transient");
    expect(classifyFailure(new Error("settle failed", { cause: raw }))).toBe("transient");
    expect(classifyFailure(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBe(
      "transient",
    );
    const refused = new ChainError("REWARDS_INSUFFICIENT", "post the roots was refused", {
      details: { errorName: "InsufficientRewards" },
    });
    expect(classifyFailure(refused)).toBe("permanent");
    expect(classifyFailure(new ValidationError("BYTES32_INVALID", "not 32 bytes"))).toBe("permanent");
    // A reverted transaction without a reason may pass on a retry (the state changed in between).
    expect(classifyFailure(new ChainError("TRANSACTION_REVERTED", "reverted on-chain"))).toBe("unknown");
    expect(classifyFailure(new Error("something else"))).toBe("unknown");
  });
});

describe("jobs that never silently die", () => {
  const clock = manualClock(T0);
  const chain = createRecordingChainGateway();
  let t: TestApp;
  let baseModel: string;
  let trainingSetId: string;
  beforeAll(async () => {
    t = await startTestApp({ dataDir: await freshDataDir(), clock, chain });
    baseModel = await t.publish("base model");
    trainingSetId = await t.publish("training set");
  });
  afterAll(() => t.dispose());

  let hidden = 0;
  async function createTask(): Promise<number> {
    const response = await t.signed(operatorAccount, "POST", "/tasks", {
      title: "jobs",
      description: "d",
      type: "lm-lora",
      baseModel,
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId,
      validationCommitment: `sha256:${(++hidden).toString(16).padStart(64, "0")}`,
      submissionDeadline: new Date(clock.now().getTime() + 60 * 60_000).toISOString(),
      endTime: new Date(clock.now().getTime() + 120 * 60_000).toISOString(),
      rewardWeight: "1",
      minStake: "1000",
      minLockDays: 0,
    });
    if (response.statusCode !== 201) throw new Error(response.body);
    return response.json().id;
  }
  const health = async () => (await t.app.http.inject({ method: "GET", url: "/health" })).json();
  const status = async (id: number) => (await t.repos.tasks.get(id)).status;

  it("a settlement the chain refuses stops at once, is reported with its task, and runs again when the operator retries it", async () => {
    const taskId = await createTask();
    // The reward distributor refuses the epoch's roots (as RewardDistributor.postEpochRoot reverts
    // InsufficientRewards when the emission it was promised is not there).
    const postEpochRoot = chain.postEpochRoot;
    chain.postEpochRoot = async (post) => {
      throw new ChainError("REWARDS_INSUFFICIENT", `post the roots of epoch ${post.epoch} was refused`, {
        hint: "send FLOCK to the reward distributor",
        details: { errorName: "InsufficientRewards" },
      });
    };
    clock.set(minutes(130));
    await t.app.scheduler.runDue();
    expect(await status(taskId)).toBe("finalized");
    const [failed] = (await health()).failedJobs;
    expect(failed).toMatchObject({ kind: "task.finalize", taskId, errorCode: "REWARDS_INSUFFICIENT" });
    const job = await t.repos.jobs.get(failed.id);
    expect(job).toMatchObject({ status: "failed", attempts: 1 });

    // Attack: an account without the operator role asks to run it again.
    const stranger = privateKeyToAccount(generatePrivateKey());
    const refused = await t.signed(stranger, "POST", `/admin/jobs/${job.id}/retry`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe("NOT_OPERATOR");
    expect((await t.repos.jobs.get(job.id)).status).toBe("failed");
    const listed = (await t.app.http.inject({ method: "GET", url: "/admin/jobs" })).json().items;
    expect(listed.map((j: { id: number }) => j.id)).toContain(job.id);

    // The operator funds the distributor, then retries: the task settles and closes.
    chain.postEpochRoot = postEpochRoot;
    const retried = await t.signed(operatorAccount, "POST", `/admin/jobs/${job.id}/retry`);
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ id: job.id, status: "pending", errorCode: null });
    await t.app.scheduler.runDue();
    expect(await status(taskId)).toBe("closed");
    expect((await t.repos.jobs.get(job.id)).status).toBe("done");
    expect((await health()).failedJobs).toEqual([]);

    // A job that is not failed is not "retried".
    const again = await t.signed(operatorAccount, "POST", `/admin/jobs/${job.id}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe("JOB_NOT_FAILED");
  });

  it("an unreachable chain is retried past any attempt limit, and the task closes when it answers again", async () => {
    clock.set(T0);
    const taskId = await createTask();
    const closeTask = chain.closeTask;
    let outage = 12;
    chain.closeTask = async (id) => {
      if (outage-- > 0)
        throw new ChainError("CHAIN_UNREACHABLE", "set task status failed: the chain did not answer");
      return closeTask(id);
    };
    try {
      clock.set(minutes(130));
      for (let i = 0; i < 12; i++) {
        await t.app.scheduler.runDue();
        clock.advance(60_000);
      }
      const job = (await t.repos.jobs.list({ kind: "task.finalize" })).find(
        (j) => j.payload.taskId === taskId,
      )!;
      expect(job.attempts).toBeGreaterThan(5);
      expect(job.status).toBe("pending");
      await t.app.scheduler.runDue();
      expect(await status(taskId)).toBe("closed");
    } finally {
      chain.closeTask = closeTask;
    }
  });

  it("a job failing for an unknown reason gets five attempts, then stops for the operator", async () => {
    clock.set(T0);
    const job = await t.repos.jobs.schedule({ kind: "no.such.handler.yet", runAt: clock.now(), payload: {} });
    await t.app.scheduler.runDue();
    expect(await t.repos.jobs.get(job.id)).toMatchObject({ status: "failed", errorCode: "JOB_KIND_UNKNOWN" });
    // A handler that fails with a plain error (a bug, a race that may pass): no class, no code.
    const flaky = createScheduler({
      repos: t.repos,
      clock,
      logger: createLogger("test", { level: "silent" }),
      handlers: {
        "test.flaky": async () => {
          throw new Error("something unexpected");
        },
      },
      pollMs: 60_000,
    });
    const other = await t.repos.jobs.schedule({ kind: "test.flaky", runAt: clock.now(), payload: {} });
    for (let i = 0; i < 6; i++) {
      await flaky.runDue();
      clock.advance(60_000);
    }
    expect(await t.repos.jobs.get(other.id)).toMatchObject({
      status: "failed",
      attempts: 5,
      errorCode: "JOB_FAILED",
    });
  });
});
