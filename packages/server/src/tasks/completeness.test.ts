import { contentId } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const WAD = 10n ** 18n;
const ACCEPTED = 520;
const NEVER_UPLOADED = 510;
const account = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;

/**
 * Lists used to stop at one page of 500 rows (the deadline's assignments, the finalization's rejections, the
 * task's submissions). Rows are written through the store directly (over a thousand commits over HTTP would
 * only measure signatures); the deadline and finalize jobs and the route then have to see every one of them.
 */
describe("nothing is cut at a page: more than 500 submissions are assigned, rejected and listed", () => {
  const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  let t: TestApp;
  afterAll(() => t?.dispose());

  it(`${ACCEPTED} accepted submissions all get a validator; ${NEVER_UPLOADED} commits never uploaded are all rejected`, async () => {
    t = await startTestApp({
      clock,
      chain: createRecordingChainGateway(),
      config: { validatorsPerSubmission: 1 },
    });
    const start = clock.now().getTime();
    const creator = operatorAccount;
    const created = await t.signed(creator, "POST", "/tasks", {
      title: "many",
      description: "d",
      type: "lm-lora",
      baseModel: await t.publish("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: await t.publish("train"),
      validationCommitment: contentId("hidden of the completeness test"),
      submissionDeadline: new Date(start + 60 * 60_000).toISOString(),
      endTime: new Date(start + 120 * 60_000).toISOString(),
      rewardWeight: "1",
      minStake: (1000n * WAD).toString(),
      minLockDays: 0,
    });
    const taskId: number = created.json().id;
    const validator = privateKeyToAccount(generatePrivateKey());
    await t.indexStake(taskId, validator.address, "validator", 3000n * WAD);
    const rows = [
      ...Array.from({ length: ACCEPTED }, (_, i) => {
        const id = contentId(`accepted ${i}`);
        return {
          task_id: taskId,
          trainer: account(10_000 + i),
          commit_hash: id,
          committed_at: new Date(start),
          artifact_id: id,
          artifact_size: 10,
          uploaded_at: new Date(start),
          status: "accepted" as const,
        };
      }),
      ...Array.from({ length: NEVER_UPLOADED }, (_, i) => ({
        task_id: taskId,
        trainer: account(20_000 + i),
        commit_hash: contentId(`committed ${i}`),
        committed_at: new Date(start),
      })),
    ];
    for (let i = 0; i < rows.length; i += 300) {
      await t.db
        .insertInto("submissions")
        .values(rows.slice(i, i + 300))
        .execute();
    }

    const listed = await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/submissions` });
    expect(listed.json().items).toHaveLength(ACCEPTED + NEVER_UPLOADED);

    clock.set(new Date(start + 60 * 60_000));
    await t.app.scheduler.runDue();
    const assignments = await t.repos.assignments.listForTask(taskId);
    expect(assignments).toHaveLength(ACCEPTED);
    expect(new Set(assignments.map((a) => a.submissionId)).size).toBe(ACCEPTED);

    clock.set(new Date(start + 120 * 60_000 + t.app.config.revealWindowMs));
    await t.app.scheduler.runDue();
    expect((await t.repos.tasks.get(taskId)).status).not.toBe("validating");
    const rejected = await t.repos.submissions.listAll({ taskId, status: "rejected" });
    expect(rejected).toHaveLength(NEVER_UPLOADED);
    expect(await t.repos.submissions.listAll({ taskId, status: "committed" })).toEqual([]);
  }, 180_000);
});
