import { contentId } from "@flock/core";
import { type LocalAccount, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { commitScore, type PendingReveal, sendReveal } from "../testing/scoreReveal.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const key = () => privateKeyToAccount(generatePrivateKey());
const creator = operatorAccount;
const alice = key();
const bob = key();
const validators = [key(), key(), key(), key()];
const T0 = new Date("2026-03-01T00:00:00.000Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const WAD = 10n ** 18n;
const hiddenSet = new TextEncoder().encode('{"conversations":[{"role":"user","content":"hidden"}]}\n');

describe("validation: assignment, hidden data, scores, timeouts", () => {
  const clock = manualClock(T0);
  let t: TestApp;
  let taskId: number;
  const submissionOf = new Map<string, number>();

  async function put(account: LocalAccount, path: string, bytes: Uint8Array, hash = sha256(bytes)) {
    const headers = await signedHeaders({
      account,
      chainId: 31337,
      method: "PUT",
      path,
      bodyHash: hash,
      timestamp: Math.floor(clock.now().getTime() / 1000),
    });
    return t.app.http.inject({
      method: "PUT",
      url: path,
      headers: { ...headers, "content-type": "application/octet-stream" },
      payload: Buffer.from(bytes),
    });
  }
  const byAddress = (address: string) => validators.find((v) => v.address.toLowerCase() === address)!;

  beforeAll(async () => {
    t = await startTestApp({ clock, config: { assignmentTimeoutMs: 10 * 60_000 } });
    await t.publish("base model");
    await t.publish("train");
    taskId = (
      await t.signed(creator, "POST", "/tasks", {
        title: "t",
        description: "d",
        type: "lm-lora",
        baseModel: contentId("base model"),
        contextLength: 64,
        maxTrainableParams: 1000,
        trainingSetId: contentId("train"),
        validationCommitment: contentId(hiddenSet),
        submissionDeadline: minutes(60).toISOString(),
        endTime: minutes(120).toISOString(),
        rewardWeight: "1",
        minStake: (3000n * WAD).toString(),
        minLockDays: 0,
      })
    ).json().id;
    let block = 1;
    for (const trainer of [alice, bob]) {
      await t.repos.stakes.applyEvent({
        taskId,
        account: trainer.address,
        role: "trainer",
        amount: 3000n * WAD,
        blockNumber: block++,
        logIndex: 0,
      });
    }
    for (const [i, v] of validators.entries()) {
      await t.repos.stakes.applyEvent({
        taskId,
        account: v.address,
        role: "validator",
        amount: BigInt(3000 + i * 1000) * WAD,
        blockNumber: block++,
        logIndex: 0,
      });
    }
    for (const trainer of [alice, bob]) {
      const bytes = new TextEncoder().encode(`adapter of ${trainer.address}`);
      const commit = (
        await t.signed(trainer, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(bytes) })
      ).json();
      expect((await put(trainer, `/submissions/${commit.id}/artifact`, bytes)).json().status).toBe(
        "accepted",
      );
      submissionOf.set(trainer.address.toLowerCase(), commit.id);
    }
  });
  afterAll(() => t.dispose());

  it("only the creator uploads the hidden set, and only the committed bytes", async () => {
    const path = `/tasks/${taskId}/validation-set`;
    expect((await put(alice, path, hiddenSet)).json().code).toBe("NOT_CREATOR");
    const wrong = await put(creator, path, new TextEncoder().encode("another set"), sha256(hiddenSet));
    expect(wrong.json().code).toBe("ARTIFACT_HASH_MISMATCH");
    const ok = await put(creator, path, hiddenSet);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).not.toHaveProperty("hiddenValidationSetId");
  });

  it("at the deadline each submission gets 3 validators by √stake, never its trainer", async () => {
    clock.set(minutes(60));
    await t.app.scheduler.runDue();
    expect((await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}` })).json().status).toBe(
      "validating",
    );
    for (const submissionId of submissionOf.values()) {
      const assignments = await t.repos.assignments.listForSubmission(submissionId);
      expect(assignments).toHaveLength(3);
      const submission = await t.repos.submissions.get(submissionId);
      for (const a of assignments) {
        expect(a.validator).not.toBe(submission.trainer);
        expect(validators.map((v) => v.address.toLowerCase())).toContain(a.validator);
        expect(a.deadline).toEqual(minutes(70));
      }
    }
  });

  let pending: PendingReveal;

  it("the hidden set and the artifact go only to an assigned validator, who commits to a score once", async () => {
    const submissionId = submissionOf.get(alice.address.toLowerCase())!;
    const [assignment] = await t.repos.assignments.listForSubmission(submissionId);
    const validator = byAddress(assignment!.validator);
    const mine = (await t.signed(validator, "GET", "/assignments"))
      .json()
      .items.map((a: { id: number }) => a.id);
    expect(mine).toContain(assignment!.id);

    const set = await t.signed(validator, "GET", `/assignments/${assignment!.id}/validation-set`);
    expect(set.statusCode).toBe(200);
    expect(new Uint8Array(set.rawPayload)).toEqual(hiddenSet);
    const artifact = await t.signed(validator, "GET", `/assignments/${assignment!.id}/artifact`);
    expect(artifact.body).toBe(`adapter of ${alice.address}`);

    for (const other of [alice, bob, creator]) {
      const refused = await t.signed(other, "GET", `/assignments/${assignment!.id}/validation-set`);
      expect(refused.statusCode).toBe(403);
      expect(refused.json().code).toBe("NOT_ASSIGNED");
    }

    pending = await commitScore(t, validator, assignment!.id, 1_520_000_000_000_000_000n, {
      bpc: "1.52",
      tokens: 1234,
    });
    const committed = await t.repos.assignments.get(assignment!.id);
    expect(committed).toMatchObject({ status: "committed", committedAt: minutes(60) });
    const second = await t.signed(validator, "POST", `/assignments/${assignment!.id}/commitment`, {
      commitment: committed.commitment,
    });
    expect(second.statusCode).toBe(409);
    expect(second.json().code).toBe("ASSIGNMENT_CLOSED");
    expect(
      (await t.signed(validator, "GET", `/assignments/${assignment!.id}/validation-set`)).statusCode,
    ).toBe(409);
    // Before the task's end the score cannot be revealed.
    const early = await sendReveal(t, pending);
    expect(early.statusCode).toBe(409);
    expect(early.json().code).toBe("REVEAL_TOO_EARLY");
  });

  it("a lazy validator finds nothing to copy before the reveals close: no score, consensus or rank anywhere", async () => {
    const board = (await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/leaderboard` })).json();
    expect(board.items.length).toBeGreaterThan(0);
    for (const entry of board.items)
      expect(entry).toMatchObject({ consensusScore: null, rank: null, reports: 0 });
    const events = await t.repos.events.listAfter(0, { limit: 500 });
    const committedEvents = events.filter((e) => e.type === "score.committed");
    expect(committedEvents).toHaveLength(1);
    // The commitment event names who committed, never to what.
    expect(Object.keys(committedEvents[0]!.payload).sort()).toEqual([
      "assignmentId",
      "submissionId",
      "taskId",
      "validator",
    ]);
    const text = JSON.stringify(events.map((e) => e.payload));
    expect(text).not.toContain("1520000000000000000");
    const submissions = (await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/submissions` }))
      .body;
    expect(submissions).not.toContain("1520000000000000000");
  });

  it("assignments not reported by their deadline time out and go to a validator not drawn before", async () => {
    const submissionId = submissionOf.get(alice.address.toLowerCase())!;
    const before = await t.repos.assignments.listForSubmission(submissionId);
    clock.set(minutes(70));
    await t.app.scheduler.runDue();
    const after = await t.repos.assignments.listForSubmission(submissionId);
    // A committed score is no longer open: it waits for its reveal and never times out.
    expect(after.filter((a) => a.status === "committed")).toHaveLength(1);
    expect(after.filter((a) => a.status === "timed_out")).toHaveLength(2);
    // 4 validators, 3 drawn before: exactly one is left to draw.
    const fresh = after.filter((a) => !before.some((b) => b.id === a.id));
    expect(fresh).toHaveLength(1);
    expect(before.map((a) => a.validator)).not.toContain(fresh[0]!.validator);
    expect(fresh[0]!.status).toBe("open");
    expect(fresh[0]!.seed).toBe(before[0]!.seed);
  });

  it("a validator refuses an artifact with a recorded reason, the assignment closes and the draw goes on", async () => {
    const submissionId = submissionOf.get(bob.address.toLowerCase())!;
    const open = (await t.repos.assignments.listForSubmission(submissionId)).find(
      (a) => a.status === "open",
    )!;
    const validator = byAddress(open.validator);
    const refused = await t.signed(validator, "POST", `/assignments/${open.id}/refuse`, {
      reason: "SAFETENSORS_TRUNCATED: file has 3 bytes",
    });
    expect(refused.statusCode).toBe(200);
    expect(refused.json()).toMatchObject({
      status: "refused",
      reason: "SAFETENSORS_TRUNCATED: file has 3 bytes",
    });
    const again = await t.signed(validator, "POST", `/assignments/${open.id}/refuse`, { reason: "again" });
    expect(again.statusCode).toBe(409);
    // The refusal is no verdict: the draw continues (here every validator was drawn, so the submission is short).
    const refusedEvents = await t.repos.events.listAfter(0, {
      types: ["assignment.refused", "assignment.short"],
    });
    expect(refusedEvents.map((e) => e.type).slice(-2)).toEqual(["assignment.refused", "assignment.short"]);
  });

  it("after the end a reveal must open the commitment: another score is refused, the committed one is kept verbatim", async () => {
    clock.set(minutes(121));
    const lie = await sendReveal(t, { ...pending, score: pending.score + 1n });
    expect(lie.statusCode).toBe(409);
    expect(lie.json().code).toBe("REVEAL_MISMATCH");
    const otherSalt = await sendReveal(t, { ...pending, salt: `0x${"11".repeat(16)}` });
    expect(otherSalt.json().code).toBe("REVEAL_MISMATCH");
    expect(await t.repos.scores.listForTask(taskId)).toEqual([]);
    const ok = await sendReveal(t, pending);
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ score: pending.score.toString(), evidence: pending.evidence });
    const [stored] = await t.repos.scores.listForTask(taskId);
    expect(stored!.salt).toBe(pending.salt);
    expect(JSON.parse(stored!.revealRequest!.body)).toEqual({
      score: pending.score.toString(),
      salt: pending.salt,
      evidence: pending.evidence,
    });
    expect(stored!.revealRequest!.headers).toMatchObject({
      ":method": "POST",
      ":path": `/assignments/${pending.assignmentId}/reveal`,
      "x-flock-address": pending.validator.address,
    });
    expect(stored!.revealRequest!.headers["x-flock-signature"]).toMatch(/^0x[0-9a-f]+$/);
    expect((await sendReveal(t, pending)).json().code).toBe("REVEAL_WITHOUT_COMMITMENT");
    // Commitments are over once the task ended.
    const late = (await t.repos.assignments.listForTask(taskId, { status: "open" }))[0];
    if (late !== undefined) {
      const refused = await t.signed(
        byAddress(late.validator),
        "POST",
        `/assignments/${late.id}/commitment`,
        {
          commitment: `0x${"ab".repeat(32)}`,
        },
      );
      expect(refused.json().code).toBe("SCORE_COMMIT_CLOSED");
    }
  });

  it("the hidden set is sealed until the task is finalized, then public for audits", async () => {
    const sealed = await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/validation-set` });
    expect(sealed.statusCode).toBe(409);
    expect(sealed.json().code).toBe("VALIDATION_SET_SEALED");
    clock.set(minutes(120 + 10));
    await t.app.scheduler.runDue();
    const revealed = await t.app.http.inject({ method: "GET", url: `/tasks/${taskId}/validation-set` });
    expect(revealed.statusCode).toBe(200);
    expect(new Uint8Array(revealed.rawPayload)).toEqual(hiddenSet);
  });
});
