import { contentId } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const creator = operatorAccount;
const T0 = new Date("2026-03-01T00:00:00.000Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

let hiddenSets = 0;

/** A task's body; each gets a hidden set of its own unless told (a hidden set is used once). */
function taskBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  hiddenSets += 1;
  return {
    title: "Instruction following",
    description: "LoRA-tune the base model on the synthetic instruction set",
    type: "lm-lora",
    baseModel: contentId("base model"),
    contextLength: 128,
    maxTrainableParams: 5_000_000,
    trainingSetId: contentId("training set"),
    validationCommitment: contentId(`hidden set ${hiddenSets}`),
    submissionDeadline: minutes(60).toISOString(),
    endTime: minutes(120).toISOString(),
    rewardWeight: "100",
    minStake: "3000000000000000000000",
    minLockDays: 30,
    ...overrides,
  };
}

describe("tasks", () => {
  const clock = manualClock(T0);
  const chain = createRecordingChainGateway();
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock, chain });
    await t.publish("base model");
    await t.publish("training set");
  });
  afterAll(() => t.dispose());
  afterEach(() => clock.set(T0));

  it("a creator posts a task: it is registered on-chain, opens, and reads back exactly", async () => {
    const response = await t.signed(
      creator,
      "POST",
      "/tasks",
      taskBody({ validationCommitment: contentId("hidden set") }),
    );
    expect(response.statusCode).toBe(201);
    const task = response.json();
    expect(task).toMatchObject({
      status: "open",
      creator: creator.address.toLowerCase(),
      rewardWeight: "100",
      minStake: "3000000000000000000000",
      validationCommitment: contentId("hidden set"),
      submissionDeadline: minutes(60).toISOString(),
    });
    expect(task).not.toHaveProperty("hiddenValidationSetId");
    expect(chain.registered.at(-1)).toEqual({
      taskId: task.id,
      minStake: 3000n * 10n ** 18n,
      minLockDays: 30,
      submissionDeadline: minutes(60),
      endTime: minutes(120),
    });
    const read = await t.app.http.inject({ method: "GET", url: `/tasks/${task.id}` });
    expect(read.json()).toEqual(task);
  });

  it("refuses a task whose hidden set any task committed to before, whoever posts it, draft or finished", async () => {
    const first = await t.signed(creator, "POST", "/tasks", taskBody());
    expect(first.statusCode).toBe(201);
    const reused = await t.signed(
      privateKeyToAccount(generatePrivateKey()),
      "POST",
      "/tasks",
      taskBody({ title: "same hidden set", validationCommitment: first.json().validationCommitment }),
    );
    expect(reused.statusCode).toBe(409);
    expect(reused.json()).toMatchObject({
      code: "VALIDATION_SET_REUSED",
      details: { taskId: first.json().id },
    });
    expect(reused.json().hint).toMatch(/new hidden validation set/);
    // The hidden set of the very first task (already uploaded and revealed or not) is refused too.
    const again = await t.signed(
      creator,
      "POST",
      "/tasks",
      taskBody({ validationCommitment: contentId("hidden set") }),
    );
    expect(again.json().code).toBe("VALIDATION_SET_REUSED");
  });

  it("lists tasks by status, one page at a time", async () => {
    for (let i = 0; i < 3; i++) await t.signed(creator, "POST", "/tasks", taskBody({ title: `page ${i}` }));
    const first = (await t.app.http.inject({ method: "GET", url: "/tasks?status=open&limit=2" })).json();
    expect(first.items).toHaveLength(2);
    const second = (
      await t.app.http.inject({ method: "GET", url: `/tasks?status=open&limit=2&after=${first.next}` })
    ).json();
    const ids = [...first.items, ...second.items].map((task: { id: number }) => task.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    const none = (await t.app.http.inject({ method: "GET", url: "/tasks?status=closed" })).json();
    expect(none.items).toEqual([]);
  });

  it("refuses a deadline in the past, a task longer than 30 days, a task nothing pays and a weight above 10^6", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ submissionDeadline: minutes(-1).toISOString() }, "TASK_DEADLINE_PASSED"],
      [{ endTime: minutes(31 * 24 * 60).toISOString() }, "TASK_TOO_LONG"],
      [{ rewardWeight: "0" }, "TASK_UNFUNDED"],
      [{ rewardWeight: "1000001" }, "TASK_WEIGHT_TOO_LARGE"],
      [{ endTime: minutes(30).toISOString() }, "TASK_END_BEFORE_DEADLINE"],
      [{ trainingSetId: "not-a-content-id" }, "REQUEST_INVALID"],
    ];
    for (const [overrides, code] of cases) {
      const response = await t.signed(creator, "POST", "/tasks", taskBody(overrides));
      expect(response.statusCode, code).toBe(400);
      expect(response.json().code).toBe(code);
    }
  });

  it("refuses a task type the wire does not know, and an lm-full task whose base model is no decoder", async () => {
    const unknown = await t.signed(creator, "POST", "/tasks", taskBody({ type: "lm-dpo" }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().code).toBe("REQUEST_INVALID");
    const full = await t.signed(creator, "POST", "/tasks", taskBody({ type: "lm-full" }));
    expect(full.statusCode).toBe(400);
    expect(full.json()).toMatchObject({
      code: "TASK_BASE_MODEL_INVALID",
      message: expect.stringContaining("is not a flock-llama/1 model"),
    });
    expect((await t.repos.tasks.list({})).items.map((task) => task.type)).not.toContain("lm-full");
  });

  it("moves open → validating at the deadline and validating → finalized → closed at the end, by the scheduler", async () => {
    const task = (await t.signed(creator, "POST", "/tasks", taskBody())).json();
    const status = async () =>
      (await t.app.http.inject({ method: "GET", url: `/tasks/${task.id}` })).json().status;
    clock.set(minutes(59));
    await t.app.scheduler.runDue();
    expect(await status()).toBe("open");
    clock.set(minutes(60));
    await t.app.scheduler.runDue();
    expect(await status()).toBe("validating");
    clock.set(minutes(120));
    await t.app.scheduler.runDue();
    // The end is the validation deadline: scores are revealed until the reveal window closes (10 min).
    expect(await status()).toBe("validating");
    clock.set(minutes(130));
    await t.app.scheduler.runDue();
    // Finalized, settled (nobody submitted: the emission goes to the treasury) and closed on-chain.
    expect(await status()).toBe("closed");
    expect(chain.closed).toContain(task.id);
  });
});

describe("the task scheduler across a restart", () => {
  it("a deadline passed while the coordinator was down still moves the task after it restarts", async () => {
    const clock = manualClock(T0);
    const first = await startTestApp({ clock });
    await first.publish("base model");
    await first.publish("training set");
    const task = (await first.signed(creator, "POST", "/tasks", taskBody())).json();
    await first.close();

    clock.set(minutes(61));
    const second = await startTestApp({ clock, dataDir: first.dataDir });
    try {
      second.app.start(); // the background loop, as in production
      await expect
        .poll(
          async () =>
            (await second.app.http.inject({ method: "GET", url: `/tasks/${task.id}` })).json().status,
          {
            timeout: 5000,
            interval: 50,
          },
        )
        .toBe("validating");
    } finally {
      await second.dispose();
    }
  });
});
