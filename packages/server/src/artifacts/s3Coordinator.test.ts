import { existsSync } from "node:fs";
import { join } from "node:path";
import { contentId } from "@flock/core";
import { S3ArtifactStore } from "@flock/store";
import { S3RVER_CREDENTIALS, type S3TestServer, startS3TestServer } from "@flock/store/testing";
import { sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { commitScore, revealAndFinalize } from "../testing/scoreReveal.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const key = () => privateKeyToAccount(generatePrivateKey());
const creator = operatorAccount;
const trainer = key();
const validator = key();
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const WAD = 10n ** 18n;
const text = (s: string) => new TextEncoder().encode(s);

// The coordinator with its artifacts in an S3-compatible store (s3rver on 127.0.0.1): every artifact of a
// task's life goes through the bucket, and nothing through a local folder.
describe("a coordinator on an S3-compatible artifact store", () => {
  const clock = manualClock(T0);
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  let s3: S3TestServer;
  let t: TestApp;

  beforeAll(async () => {
    s3 = await startS3TestServer();
    process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
    t = await startTestApp({
      clock,
      config: { validatorsPerSubmission: 1 },
      artifacts: `s3://${s3.bucket}/coordinator?endpoint=${s3.endpoint}`,
    });
  });
  afterAll(async () => {
    await t?.dispose();
    await s3?.close();
    for (const [name, value] of [
      ["AWS_ACCESS_KEY_ID", saved.id],
      ["AWS_SECRET_ACCESS_KEY", saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("publishes inputs, takes the hidden set and a submission, serves them to the validator, stores the report", async () => {
    const base = text("base model weights");
    const train = text('{"conversations":[]}\n');
    const hidden = text('{"conversations":[{"from":"human","value":"?"}]}\n');
    const adapter = text("trainer's adapter bytes");
    expect((await t.upload(creator, `/artifacts/${contentId(base)}`, base)).statusCode).toBe(201);
    expect((await t.upload(creator, `/artifacts/${contentId(train)}`, train)).statusCode).toBe(201);
    const served = await t.app.http.inject({ method: "GET", url: `/artifacts/${contentId(base)}` });
    expect(served.rawPayload.equals(Buffer.from(base))).toBe(true);

    const task = (
      await t.signed(creator, "POST", "/tasks", {
        title: "s3",
        description: "d",
        type: "lm-lora",
        baseModel: contentId(base),
        contextLength: 64,
        maxTrainableParams: 1000,
        trainingSetId: contentId(train),
        validationCommitment: contentId(hidden),
        submissionDeadline: minutes(60).toISOString(),
        endTime: minutes(120).toISOString(),
        rewardWeight: "1",
        minStake: "0",
        minLockDays: 0,
      })
    ).json();
    expect((await t.upload(creator, `/tasks/${task.id}/validation-set`, hidden)).statusCode).toBe(200);
    for (const [account, role] of [
      [trainer, "trainer"],
      [validator, "validator"],
    ] as const) {
      await t.indexStake(task.id, account.address, role, 3000n * WAD);
    }
    const commit = (
      await t.signed(trainer, "POST", `/tasks/${task.id}/submissions`, { commitHash: contentId(adapter) })
    ).json();
    expect((await t.upload(trainer, `/submissions/${commit.id}/artifact`, adapter)).json().status).toBe(
      "accepted",
    );

    clock.set(minutes(60));
    await t.app.scheduler.runDue();
    const [assignment] = (await t.signed(validator, "GET", "/assignments")).json().items;
    const artifact = await t.signed(validator, "GET", `/assignments/${assignment.id}/artifact`);
    expect(artifact.rawPayload.equals(Buffer.from(adapter))).toBe(true);
    const set = await t.signed(validator, "GET", `/assignments/${assignment.id}/validation-set`);
    expect(set.rawPayload.equals(Buffer.from(hidden))).toBe(true);
    const pending = await commitScore(t, validator, assignment.id, 1_250_000_000_000_000_000n, {
      bpc: 1.25,
    });
    await revealAndFinalize(t, clock, minutes(120), [pending]);
    await t.app.scheduler.runDue();
    const [epoch] = await t.repos.epochs.list({ taskId: task.id });
    expect(epoch).toBeDefined();
    const report = await t.app.http.inject({ method: "GET", url: `/epochs/${epoch!.number}/report` });
    expect(`0x${sha256(report.rawPayload).slice(2)}`).toBe(epoch!.reportHash);

    // Every artifact is in the bucket under the coordinator's prefix; the data folder has no artifacts.
    const bucket = new S3ArtifactStore({
      bucket: s3.bucket,
      prefix: "coordinator/",
      endpoint: s3.endpoint,
      credentials: S3RVER_CREDENTIALS,
    });
    try {
      for (const id of [
        contentId(base),
        contentId(train),
        contentId(hidden),
        contentId(adapter),
        epoch!.reportId,
      ]) {
        expect(await bucket.has(id)).toBe(true);
      }
    } finally {
      bucket.close();
    }
    expect(existsSync(join(t.dataDir, "artifacts"))).toBe(false);
  });
});
