import { contentId } from "@flock/core";
import type { Hex, LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adapterFile, randomLora, reparametrize } from "../testing/loraFixtures.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const creator = operatorAccount;
const alice = privateKeyToAccount(generatePrivateKey());
const copier = privateKeyToAccount(generatePrivateKey());
const validator = privateKeyToAccount(generatePrivateKey());
const outsider = privateKeyToAccount(generatePrivateKey());
const T0 = new Date("2026-03-01T00:00:00.000Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const MIN_STAKE = 3000n * 10n ** 18n;

const artifact = new TextEncoder().encode("safetensors bytes of alice's adapter");
const artifactId = contentId(artifact);

describe("submissions: commit, upload, duplicates", () => {
  const clock = manualClock(T0);
  const chain = createRecordingChainGateway();
  let t: TestApp;
  let taskId: number;

  const upload = (account: LocalAccount, submissionId: number, bytes: Uint8Array, signedHash?: Hex) =>
    t.upload(account, `/submissions/${submissionId}/artifact`, bytes, signedHash);

  beforeAll(async () => {
    t = await startTestApp({ clock, chain, config: { maxArtifactBytes: 1024 } });
    await t.publish("base model");
    await t.publish("train");
    const task = await t.signed(creator, "POST", "/tasks", {
      title: "t",
      description: "d",
      type: "lm-lora",
      baseModel: contentId("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: contentId("train"),
      validationCommitment: contentId("hidden"),
      submissionDeadline: minutes(60).toISOString(),
      endTime: minutes(120).toISOString(),
      rewardWeight: "1",
      minStake: MIN_STAKE.toString(),
      minLockDays: 0,
    });
    taskId = task.json().id;
    // The stake index as the indexer leaves it after reading TaskStaking events.
    let block = 1;
    for (const [account, role, amount] of [
      [alice, "trainer", MIN_STAKE],
      [copier, "trainer", MIN_STAKE * 2n],
      [validator, "validator", MIN_STAKE],
      [outsider, "trainer", MIN_STAKE - 1n],
    ] as const) {
      await t.repos.stakes.applyEvent({
        taskId,
        account: account.address,
        role,
        amount,
        blockNumber: block++,
        logIndex: 0,
      });
    }
  });
  afterAll(() => t.dispose());

  it("a staked trainer commits before the deadline, then uploads the artifact that hashes to the commit", async () => {
    const commit = await t.signed(alice, "POST", `/tasks/${taskId}/submissions`, { commitHash: artifactId });
    expect(commit.statusCode).toBe(201);
    expect(commit.json()).toMatchObject({
      status: "committed",
      trainer: alice.address.toLowerCase(),
      artifactId: null,
    });
    const uploaded = await upload(alice, commit.json().id, artifact);
    expect(uploaded.statusCode).toBe(200);
    expect(uploaded.json()).toMatchObject({ status: "accepted", artifactId, artifactSize: artifact.length });
    expect(await t.artifacts.read(artifactId)).toEqual(artifact);
    const again = await upload(alice, commit.json().id, artifact);
    expect(again.json().code).toBe("ARTIFACT_ALREADY_UPLOADED");
  });

  it("a later byte-identical submission is marked a copy of the earlier one", async () => {
    const first = (await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/submissions` })).json()
      .items[0];
    const commit = await t.signed(copier, "POST", `/tasks/${taskId}/submissions`, { commitHash: artifactId });
    const uploaded = await upload(copier, commit.json().id, artifact);
    expect(uploaded.statusCode).toBe(200);
    expect(uploaded.json()).toMatchObject({ status: "copy", copyOf: first.id });
    expect(uploaded.json().reason).toContain("byte-identical");
    // The copier is slashed by a job, citing evidence published in the artifact store.
    await t.app.scheduler.runDue();
    const [slash] = await t.repos.slashes.list({ taskId, account: copier.address });
    expect(slash).toMatchObject({ reason: uploaded.json().reason, prover: null });
    const evidence = JSON.parse(new TextDecoder().decode(await t.artifacts.read(slash!.evidenceId)));
    expect(evidence).toMatchObject({ kind: "copied-submission", original: { submission: first.id } });
    expect(chain.slashed).toEqual([
      {
        taskId,
        account: copier.address.toLowerCase(),
        fractionBps: 5000,
        evidenceHash: `0x${slash!.evidenceId.slice(7)}`,
        prover: t.app.config.treasury,
      },
    ]);
    await t.app.scheduler.runDue();
    expect(await t.repos.slashes.list({ taskId })).toHaveLength(1);
  });

  it("refuses bytes that do not hash to the commit, an oversized artifact, and an upload by someone else", async () => {
    const other = new TextEncoder().encode("something else");
    const commit = (
      await t.signed(copier, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(other) })
    ).json();
    const wrong = new TextEncoder().encode("not what was committed");
    // Signed over the committed hash (what the server checks the signature against), bytes differ.
    const mismatch = await upload(copier, commit.id, wrong, `0x${contentId(other).slice(7)}`);
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().code).toBe("ARTIFACT_HASH_MISMATCH");
    const notMine = await upload(alice, commit.id, other);
    expect(notMine.statusCode).toBe(403);
    expect(notMine.json().code).toBe("NOT_SUBMITTER");

    const big = new Uint8Array(2048).fill(7);
    const bigCommit = (
      await t.signed(copier, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(big) })
    ).json();
    const tooLarge = await upload(copier, bigCommit.id, big);
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().code).toBe("ARTIFACT_TOO_LARGE");
    expect(await t.artifacts.has(contentId(big))).toBe(false);
    // Signing the bytes' own hash instead of the commit's fails authentication.
    expect((await upload(copier, commit.id, wrong)).json().code).toBe("AUTH_BAD_SIGNATURE");
  });

  it("roles come from stake: no stake, too little stake, or the validator role cannot commit", async () => {
    const stranger = privateKeyToAccount(generatePrivateKey());
    for (const [account, code] of [
      [stranger, "STAKE_REQUIRED"],
      [outsider, "STAKE_REQUIRED"],
      [validator, "ROLE_REQUIRED"],
    ] as const) {
      const response = await t.signed(account, "POST", `/tasks/${taskId}/submissions`, {
        commitHash: contentId("x"),
      });
      expect(response.statusCode).toBe(403);
      expect(response.json().code).toBe(code);
    }
  });

  it("a commit after the deadline is refused", async () => {
    clock.set(minutes(60));
    clock.advance(1000);
    const late = await t.signed(alice, "POST", `/tasks/${taskId}/submissions`, {
      commitHash: contentId("late"),
    });
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe("SUBMISSION_AFTER_DEADLINE");
  });

  it("a later adapter whose weight delta is near-identical (cosine ≥ 0.995) is a copy; an independent one is not", async () => {
    clock.set(T0);
    const honest = adapterFile(randomLora(11));
    const disguised = adapterFile(reparametrize(randomLora(11), 0.001));
    const independent = adapterFile(randomLora(12));
    expect(contentId(disguised)).not.toBe(contentId(honest));
    const results: { status: string; reason: string | null; copyOf: number | null; id: number }[] = [];
    for (const [account, bytes] of [
      [alice, honest],
      [copier, disguised],
      [copier, independent],
    ] as const) {
      const commit = (
        await t.signed(account, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(bytes) })
      ).json();
      results.push((await upload(account, commit.id, bytes)).json());
    }
    expect(results[0]!.status).toBe("accepted");
    expect(results[1]).toMatchObject({ status: "copy", copyOf: results[0]!.id });
    expect(results[1]!.reason).toContain("near-identical");
    expect(results[2]!.status).toBe("accepted");
  });
});
