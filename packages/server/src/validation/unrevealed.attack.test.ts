import type { AddressInfo } from "node:net";
import { contentId, scoreCommitment } from "@flock/core";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { newSalt } from "../testing/scoreReveal.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const WAD = 10n ** 18n;
const key = () => privateKeyToAccount(generatePrivateKey());
const MINUTE = 60_000;

/**
 * SPEC §2.1/§3: a validator's work is the number of assignments it completed, and a duty not done earns nothing.
 * A missed assignment (no commitment by its deadline) times out: no score, no work credit, and the submission
 * goes to another validator. The attack here: a lazy validator commits to some score (so its assignment is not
 * timed out and handed on), waits for the others' reveals hoping to copy the consensus, then reveals late — or
 * never. Its commitment is a failed duty with the same consequence: the late reveal is refused, the assignment
 * ends `unrevealed`, it has no score and no work credit in the epoch report, exactly like the
 * validator that missed its assignment. Everything goes through the coordinator over real HTTP (127.0.0.1).
 */
describe("a validator who commits and does not reveal fails its duty (over real HTTP)", () => {
  const clock = manualClock(new Date(Math.floor(Date.now() / MINUTE) * MINUTE));
  const chain = createRecordingChainGateway();
  let t: TestApp;
  let origin: string;
  afterAll(() => t?.dispose());

  /** A signed JSON request sent over a socket, signed at the coordinator's (manual) clock. */
  async function send(account: LocalAccount, method: "GET" | "POST", path: string, body?: unknown) {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = await signedHeaders({
      account,
      chainId: chain.chainId,
      verifyingContract: chain.requestVerifier,
      method,
      path,
      ...(payload === undefined ? {} : { body: payload }),
      timestamp: Math.floor(clock.now().getTime() / 1000),
    });
    const response = await fetch(`${origin}${path}`, {
      method,
      headers: { ...headers, ...(payload === undefined ? {} : { "content-type": "application/json" }) },
      ...(payload === undefined ? {} : { body: payload }),
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
  const get = async (path: string) =>
    (await fetch(`${origin}${path}`)).json() as Promise<Record<string, never>>;

  it("the unrevealed commitment earns no score and no work credit, like a missed assignment", async () => {
    t = await startTestApp({ clock, chain, evaluator: { evaluate: async () => ({ metric: 1.25 }) } });
    await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    origin = `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;
    const start = clock.now().getTime();
    const trainers = [key(), key()];
    const validators = [key(), key(), key(), key()];
    const created = await send(operatorAccount, "POST", "/tasks", {
      title: "lazy validators",
      description: "d",
      type: "lm-lora",
      baseModel: await t.publish("base model"),
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: await t.publish("train"),
      validationCommitment: contentId("hidden of the lazy validator test"),
      submissionDeadline: new Date(start + 60 * MINUTE).toISOString(),
      endTime: new Date(start + 120 * MINUTE).toISOString(),
      rewardWeight: "1",
      minStake: (1000n * WAD).toString(),
      minLockDays: 0,
    });
    expect(created.status).toBe(201);
    const taskId = created.json.id as number;
    const hidden = await t.artifacts.put(new TextEncoder().encode("hidden"), { maxBytes: 6 });
    await t.repos.artifacts.record({
      id: hidden.id,
      size: hidden.size,
      mediaType: "application/octet-stream",
    });
    await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);
    for (const trainer of trainers) await t.indexStake(taskId, trainer.address, "trainer", 2000n * WAD);
    for (const v of validators) await t.indexStake(taskId, v.address, "validator", 3000n * WAD);
    for (const [i, trainer] of trainers.entries()) {
      const bytes = new TextEncoder().encode(`adapter ${i}`);
      const commit = await send(trainer, "POST", `/tasks/${taskId}/submissions`, {
        commitHash: contentId(bytes),
      });
      expect(commit.status).toBe(201);
      expect((await t.upload(trainer, `/submissions/${commit.json.id}/artifact`, bytes)).json().status).toBe(
        "accepted",
      );
    }
    clock.set(new Date(start + 60 * MINUTE));
    await t.app.scheduler.runDue();

    const assignments = await t.repos.assignments.listForTask(taskId);
    expect(assignments).toHaveLength(6);
    const accountOf = (address: string) => validators.find((v) => v.address.toLowerCase() === address)!;
    // The lazy validator: one that holds an assignment of each submission.
    const counts = new Map<string, number>();
    for (const a of assignments) counts.set(a.validator, (counts.get(a.validator) ?? 0) + 1);
    const lazy = [...counts.entries()].find(([, n]) => n === 2)![0];
    const score = 1_250_000_000_000_000_000n;
    const reveals: { account: LocalAccount; id: number; salt: string }[] = [];
    let lazyCommit: { id: number; salt: string } | undefined;
    for (const a of assignments) {
      const salt = newSalt();
      const committed = await send(accountOf(a.validator), "POST", `/assignments/${a.id}/commitment`, {
        commitment: scoreCommitment({ assignmentId: a.id, score, salt }),
      });
      expect(committed.status).toBe(201);
      // The lazy validator reveals its first assignment and sits on its second.
      if (a.validator === lazy && lazyCommit === undefined) lazyCommit = { id: a.id, salt };
      else reveals.push({ account: accountOf(a.validator), id: a.id, salt });
    }

    // After the end, everyone else reveals.
    const end = new Date(start + 120 * MINUTE);
    clock.set(new Date(end.getTime() + 1000));
    await t.app.scheduler.runDue();
    for (const r of reveals) {
      const revealed = await send(r.account, "POST", `/assignments/${r.id}/reveal`, {
        score: score.toString(),
        salt: r.salt,
        evidence: {},
      });
      expect(revealed.status).toBe(201);
    }
    // The reveal window closes: the task is finalized and the lazy commitment is a failed duty.
    clock.set(new Date(end.getTime() + t.app.config.revealWindowMs));
    await t.app.scheduler.runDue();
    const lazyAssignment = await t.repos.assignments.get(lazyCommit!.id);
    expect(lazyAssignment.status).toBe("unrevealed");

    // Revealing now, with the consensus in sight, is refused and changes nothing.
    const late = await send(accountOf(lazy), "POST", `/assignments/${lazyCommit!.id}/reveal`, {
      score: score.toString(),
      salt: lazyCommit!.salt,
      evidence: {},
    });
    expect(late.status).toBe(409);
    expect(["REVEAL_WINDOW_CLOSED", "REVEAL_WITHOUT_COMMITMENT"]).toContain(late.json.code);
    expect((await t.repos.assignments.get(lazyCommit!.id)).status).toBe("unrevealed");

    for (let round = 0; round < 3; round++) {
      clock.advance(MINUTE);
      await t.app.scheduler.runDue();
    }
    expect((await t.repos.tasks.get(taskId)).status).toBe("closed");

    // The epoch report: the lazy validator's work is the one assignment it completed, the others' two.
    const epochs = (await get(`/epochs?taskId=${taskId}`)) as unknown as { items: { number: number }[] };
    const [epoch] = epochs.items;
    const report = (await get(`/epochs/${epoch!.number}/report`)) as unknown as {
      inputs: {
        tasks?: { validators: { account: string; completedAssignments: number | string }[] }[];
        validators?: { account: string; completedAssignments: number | string }[];
      };
    };
    const inputs = report.inputs.tasks?.[0]?.validators ?? report.inputs.validators ?? [];
    const work = new Map(inputs.map((v) => [v.account, Number(v.completedAssignments)]));
    expect(work.get(lazy)).toBe(1);
    for (const [validator, n] of counts) if (validator !== lazy) expect(work.get(validator)).toBe(n);
    // Scores: the unrevealed commitment has none, so the lazy validator reported one score, the others theirs.
    const scores = await t.repos.scores.listForTask(taskId);
    expect(scores.filter((s) => s.validator === lazy)).toHaveLength(1);
    expect(scores.some((s) => s.assignmentId === lazyCommit!.id)).toBe(false);
    // Not a slash (SPEC's failed duty costs the work credit here, as a missed assignment does).
    expect(await t.repos.slashes.list({ taskId })).toEqual([]);
  }, 120_000);
});
