import { ChainError } from "@flock/core";
import type { NewTask } from "@flock/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { RECONCILE_JOB } from "./reconciler.ts";

const T0 = new Date("2026-04-01T00:00:00Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

/**
 * The reconciler against a recording chain: each scenario leaves the store and the chain as a crash between a
 * chain write and its record would, and one pass repairs it (or reports what it cannot repair).
 */
describe("the reconciler compares the store with the chain", () => {
  const clock = manualClock(T0);
  const chain = createRecordingChainGateway();
  let t: TestApp;
  let hidden = 0;
  let baseModel: string;
  let trainingSetId: string;
  beforeAll(async () => {
    t = await startTestApp({ clock, chain });
    baseModel = await t.publish("base model");
    trainingSetId = await t.publish("training set");
  });
  afterAll(() => t.dispose());

  function newTask(status: "draft" | "open"): NewTask {
    return {
      title: "reconcile",
      description: "d",
      type: "lm-lora",
      baseModel,
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId,
      validationCommitment: `sha256:${(++hidden).toString(16).padStart(64, "0")}`,
      submissionDeadline: minutes(60),
      endTime: minutes(120),
      rewardWeight: 1n,
      minStake: 1000n,
      minLockDays: 0,
      status,
      creator: operatorAccount.address.toLowerCase(),
    };
  }
  /** One reconcile pass, run by the scheduler as the coordinator runs it; returns the differences it found. */
  async function reconcile() {
    await t.repos.jobs.schedule({ kind: RECONCILE_JOB, key: `test:${Math.random()}`, runAt: clock.now() });
    await t.app.scheduler.runDue();
    return (await t.app.http.inject({ method: "GET", url: "/health" })).json().chainDifferences as {
      kind: string;
      taskId?: number;
      repaired: boolean;
    }[];
  }

  it("a draft the chain registered (killed between the two) opens on the second pass, with its deadlines", async () => {
    const draft = await t.repos.tasks.create(newTask("draft"));
    await chain.registerTask({
      taskId: draft.id,
      minStake: draft.minStake,
      minLockDays: draft.minLockDays,
      submissionDeadline: draft.submissionDeadline,
      endTime: draft.endTime,
    });
    // Created after this coordinator started: a request may be opening it right now, so the first pass waits.
    await reconcile();
    expect((await t.repos.tasks.get(draft.id)).status).toBe("draft");
    const differences = await reconcile();
    expect(differences).toContainEqual(
      expect.objectContaining({ kind: "task-registered-not-opened", taskId: draft.id, repaired: true }),
    );
    expect((await t.repos.tasks.get(draft.id)).status).toBe("open");
    const jobs = (await t.repos.jobs.list({ status: "pending" })).filter(
      (j) => j.payload.taskId === draft.id,
    );
    expect(jobs.map((j) => j.kind).sort()).toEqual(["task.closeSubmissions", "task.finalize"]);
    // A draft the chain does not know stays a draft (its creator has not opened it).
    const unopened = await t.repos.tasks.create(newTask("draft"));
    await reconcile();
    await reconcile();
    expect((await t.repos.tasks.get(unopened.id)).status).toBe("draft");
  });

  it("an open task the chain never registered is reported, not repaired", async () => {
    const orphan = await t.repos.tasks.create(newTask("open"));
    const differences = await reconcile();
    expect(differences).toContainEqual(
      expect.objectContaining({ kind: "task-not-on-chain", taskId: orphan.id, repaired: false }),
    );
  });

  it("roots posted before the coordinator recorded it are marked, not posted again, and the task closes", async () => {
    const created = await t.signed(operatorAccount, "POST", "/tasks", {
      ...newTask("open"),
      submissionDeadline: minutes(60).toISOString(),
      endTime: minutes(120).toISOString(),
      rewardWeight: "1",
      minStake: "1000",
      status: undefined,
      creator: undefined,
    });
    expect(created.statusCode).toBe(201);
    const taskId: number = created.json().id;
    // The post is mined, then the connection drops before the coordinator hears back.
    const postEpochRoot = chain.postEpochRoot;
    chain.postEpochRoot = async (post) => {
      await postEpochRoot(post);
      throw new ChainError("CHAIN_UNREACHABLE", "post the roots failed: the chain node did not answer");
    };
    clock.set(minutes(130));
    try {
      await t.app.scheduler.runDue();
    } finally {
      chain.postEpochRoot = postEpochRoot;
    }
    // The first task due settled in an epoch recorded and posted on-chain but not marked posted here; the
    // other tasks wait behind it.
    const [epoch, ...more] = await t.repos.epochs.listUnposted();
    expect(more).toEqual([]);
    expect(chain.posted.map((p) => p.epoch)).toContain(BigInt(epoch!.number));
    expect((await t.repos.tasks.get(taskId)).status).toBe("finalized");

    const differences = await reconcile();
    expect(differences).toContainEqual(
      expect.objectContaining({ kind: "epoch-posted-not-marked", epoch: epoch!.number, repaired: true }),
    );
    expect((await t.repos.epochs.get(epoch!.number)).txHash).toMatch(/^0x[0-9a-f]{64}$/);
    for (const id of epoch!.tasks) {
      expect((await t.repos.tasks.get(id)).status).toBe("closed");
      expect(chain.closed).toContain(id);
    }
    // The journal holds the write, confirmed.
    expect(await t.repos.chainWrites.find(`epoch:${epoch!.number}:root`)).toMatchObject({
      status: "confirmed",
    });
    // The finalize jobs, due again after their backoff, find their work done; each epoch is posted once.
    clock.advance(60_000);
    await t.app.scheduler.runDue();
    const finalize = (await t.repos.jobs.list({ kind: "task.finalize" })).find(
      (j) => j.payload.taskId === taskId,
    );
    expect(finalize?.status).toBe("done");
    expect((await t.repos.tasks.get(taskId)).status).toBe("closed");
    const epochs = chain.posted.map((p) => p.epoch);
    expect(new Set(epochs).size).toBe(epochs.length);
  });
});
