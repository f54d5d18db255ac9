import { contentId } from "@flock/core";
import fc from "fast-check";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { badCharacter } from "./boundedInput.ts";

const T0 = new Date("2026-05-01T00:00:00Z");
const DAY = 86_400_000;

/** Text a request may carry: any Unicode but NUL and lone surrogates (refused at the edge), up to `max` units. */
const text = (min: number, max: number) =>
  fc
    .string({ unit: "grapheme", minLength: min, maxLength: max })
    .filter((s) => badCharacter(s) === null && [...s].length <= max && [...s].length >= min);

/** Any valid create-task request (SPEC §2.1 fields within the coordinator's bounds). */
const taskRequest = fc.record({
  title: text(1, 200),
  description: text(0, 300),
  contextLength: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  maxTrainableParams: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  // Milliseconds after T0: the deadline within the 30-day bound, the end after it.
  deadlineMs: fc.integer({ min: 60_000, max: 20 * DAY }),
  endAfterMs: fc.integer({ min: 1, max: 9 * DAY }),
  rewardWeight: fc.bigInt({ min: 1n, max: 1_000_000n }),
  minStake: fc.bigInt({ min: 0n, max: 10n ** 78n - 1n }),
  minLockDays: fc.integer({ min: 0, max: 365 }),
  commitSeed: fc.string({ minLength: 1, maxLength: 40 }),
});

/**
 * Every stored value reads back: random valid requests are written over HTTP and every list and item route
 * returns exactly what was sent (no value rounded, cut, re-spelled or lost between the edge and the database).
 */
describe("what a request stores is what every route reads back", () => {
  const clock = manualClock(T0);
  let t: TestApp;
  let baseModel: string;
  let trainingSetId: string;
  let n = 0;
  beforeAll(async () => {
    t = await startTestApp({ clock });
    baseModel = await t.publish("base model");
    trainingSetId = await t.publish("training set");
  });
  afterAll(() => t.dispose());

  const get = async (url: string) => {
    const response = await t.app.http.inject({ method: "GET", url });
    expect(response.statusCode, url).toBe(200);
    return response.json();
  };
  /** Every item of a paged list route. */
  async function listAll(url: string): Promise<{ id: number }[]> {
    const items: { id: number }[] = [];
    let after: number | undefined;
    for (;;) {
      const page = await get(
        `${url}${url.includes("?") ? "&" : "?"}limit=500${after === undefined ? "" : `&after=${after}`}`,
      );
      items.push(...page.items);
      if (page.next === undefined) return items;
      after = page.next;
    }
  }

  it("tasks and submissions: POST, then GET /tasks/:id, GET /tasks, GET /submissions/:id and GET /tasks/:id/submissions", async () => {
    await fc.assert(
      fc.asyncProperty(taskRequest, async (request) => {
        n++;
        const deadline = new Date(T0.getTime() + request.deadlineMs);
        const body = {
          title: request.title,
          description: request.description,
          type: "lm-lora",
          baseModel,
          contextLength: request.contextLength,
          maxTrainableParams: request.maxTrainableParams,
          trainingSetId,
          validationCommitment: contentId(`hidden ${n}`),
          submissionDeadline: deadline.toISOString(),
          endTime: new Date(deadline.getTime() + request.endAfterMs).toISOString(),
          rewardWeight: request.rewardWeight.toString(),
          minStake: request.minStake.toString(),
          minLockDays: request.minLockDays,
        };
        const created = await t.signed(operatorAccount, "POST", "/tasks", body);
        expect(created.statusCode, created.body).toBe(201);
        const { type: _type, ...sent } = body;
        const expected = { ...sent, id: created.json().id, status: "open" };
        expect(created.json()).toMatchObject(expected);
        expect(await get(`/tasks/${expected.id}`)).toEqual(created.json());
        const listed = (await listAll("/tasks?status=open")).find((task) => task.id === expected.id);
        expect(listed).toEqual(created.json());

        const trainer = privateKeyToAccount(generatePrivateKey());
        await t.indexStake(expected.id, trainer.address, "trainer", request.minStake + 1n);
        const commitHash = contentId(request.commitSeed);
        const committed = await t.signed(trainer, "POST", `/tasks/${expected.id}/submissions`, {
          commitHash,
        });
        expect(committed.statusCode, committed.body).toBe(201);
        expect(committed.json()).toMatchObject({
          taskId: expected.id,
          trainer: trainer.address.toLowerCase(),
          commitHash,
          status: "committed",
        });
        expect(await get(`/submissions/${committed.json().id}`)).toEqual(committed.json());
        const [submission] = await listAll(`/tasks/${expected.id}/submissions`);
        expect(submission).toEqual(committed.json());
      }),
      // A run that stalls fails with its input instead of the whole file timing out without one; on a loaded
      // machine the property stops early rather than time out (every run it made was still checked).
      { numRuns: 40, timeout: 15_000, endOnFailure: true, interruptAfterTimeLimit: 45_000 },
    );
  }, 90_000);
});
