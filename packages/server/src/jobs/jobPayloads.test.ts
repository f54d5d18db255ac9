import type { Job } from "@flock/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { isJobKind, JOB_KINDS, JOB_PAYLOADS, jobInput, readJobPayload } from "./jobPayloads.ts";

const T0 = new Date("2026-03-01T00:00:00Z");

function storedJob(kind: string, payload: Record<string, unknown>): Job {
  return {
    id: 7,
    kind,
    key: null,
    runAt: T0,
    payload,
    status: "running",
    attempts: 1,
    lastError: null,
    errorCode: null,
    lockedUntil: null,
    createdAt: T0,
    updatedAt: T0,
  };
}

describe("job payloads", () => {
  it("every job kind has a payload schema, and the kinds the code names are those", () => {
    expect(Object.keys(JOB_PAYLOADS).sort()).toEqual(Object.values(JOB_KINDS).sort());
    for (const kind of Object.values(JOB_KINDS)) expect(isJobKind(kind)).toBe(true);
    expect(isJobKind("task.unknown")).toBe(false);
  });

  it("a well-formed stored payload reads back as its type", () => {
    expect(readJobPayload(storedJob("task.settle", { taskId: 3, round: 2 }), "task.settle")).toEqual({
      taskId: 3,
      round: 2,
    });
    const dispute = readJobPayload(
      storedJob("score.dispute", {
        taskId: 1,
        submissionId: 2,
        validator: "0x00000000000000000000000000000000000000aa",
        consensus: "-1500000000000000000",
        toleranceScore: "10000000000000000",
      }),
      "score.dispute",
    );
    expect(dispute.consensus).toBe("-1500000000000000000");
    expect(dispute.requestedBy).toBeUndefined();
  });

  it.each([
    ["no task id", "task.finalize", {}],
    ["a task id as a string", "task.finalize", { taskId: "3" }],
    ["a task id beyond int4", "task.closeSubmissions", { taskId: 2 ** 31 }],
    ["a fractional round", "task.settle", { taskId: 1, round: 0.5 }],
    ["an assignment id of 0", "assignment.timeout", { assignmentId: 0 }],
    ["a null submission", "submission.slashCopy", { submissionId: null }],
    [
      "a consensus that is no number",
      "score.dispute",
      {
        taskId: 1,
        submissionId: 2,
        validator: "0x00000000000000000000000000000000000000aa",
        consensus: "1e18",
        toleranceScore: "0",
      },
    ],
  ] as const)(
    "a stored payload with %s fails with JOB_PAYLOAD_INVALID, marked permanent",
    (_, kind, payload) => {
      let thrown: unknown;
      try {
        readJobPayload(storedJob(kind, payload), kind);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({
        name: "ValidationError",
        code: "JOB_PAYLOAD_INVALID",
        details: { jobId: 7, kind, permanent: true },
      });
      expect((thrown as Error).message).toContain(`job 7 (${kind})`);
    },
  );

  it("a job read as another kind is refused", () => {
    expect(() => readJobPayload(storedJob("task.finalize", { taskId: 1 }), "task.settle")).toThrow(
      /is a task.finalize, not a task.settle/,
    );
  });

  it("a producer cannot schedule a payload that does not fit its kind", () => {
    expect(jobInput("task.finalize", { runAt: T0, key: "k", payload: { taskId: 4 } })).toEqual({
      kind: "task.finalize",
      runAt: T0,
      key: "k",
      payload: { taskId: 4 },
    });
    expect(() => jobInput("task.finalize", { runAt: T0, payload: { taskId: -1 } })).toThrow(
      expect.objectContaining({ code: "JOB_PAYLOAD_INVALID" }),
    );
  });
});

describe("a malformed payload in the store", () => {
  const clock = manualClock(T0);
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ dataDir: await freshDataDir(), clock });
  });
  afterAll(() => t.dispose());

  it("stops its job at once with a clear error and leaves the scheduler running the other jobs", async () => {
    // Rows as an older build or a hand edit could leave them: the store takes any JSON object.
    const broken = await t.repos.jobs.schedule({ kind: "task.finalize", runAt: T0, payload: { task: 1 } });
    const brokenDispute = await t.repos.jobs.schedule({
      kind: "score.dispute",
      runAt: T0,
      payload: { taskId: 1, submissionId: 1, validator: "nobody", consensus: 5, toleranceScore: "0" },
    });
    const fine = await t.repos.jobs.schedule({ kind: "chain.reconcile", runAt: T0, payload: {} });
    await t.app.scheduler.runDue();

    for (const job of [broken, brokenDispute]) {
      const after = await t.repos.jobs.get(job.id);
      expect(after).toMatchObject({ status: "failed", attempts: 1, errorCode: "JOB_PAYLOAD_INVALID" });
      expect(after.lastError).toContain("malformed payload");
    }
    expect((await t.repos.jobs.get(fine.id)).status).toBe("done");
    const health = (await t.app.http.inject({ method: "GET", url: "/health" })).json();
    expect(health.failedJobs.map((j: { id: number; errorCode: string }) => [j.id, j.errorCode])).toEqual(
      expect.arrayContaining([
        [broken.id, "JOB_PAYLOAD_INVALID"],
        [brokenDispute.id, "JOB_PAYLOAD_INVALID"],
      ]),
    );
  });
});
