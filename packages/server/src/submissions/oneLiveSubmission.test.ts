import { contentId } from "@flock/core";
import fc from "fast-check";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import type { SubmissionEvaluator } from "../disputes/submissionEvaluator.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { commitScore, type PendingReveal, revealAndFinalize } from "../testing/scoreReveal.ts";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { type ManualClock, manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const WAD = 10n ** 18n;
const key = () => privateKeyToAccount(generatePrivateKey());
const bytes = (text: string) => new TextEncoder().encode(text);

/** Each artifact's deterministic BPC; anything else (a copy of nothing known) is unscorable. */
function tableEvaluator(): SubmissionEvaluator {
  return {
    async evaluate(input) {
      const text = new TextDecoder().decode(input.artifact);
      const match = /^adapter (\d+)/.exec(text);
      return { metric: match === null ? Number.POSITIVE_INFINITY : 1 + Number(match[1]) / 100 };
    },
  };
}
const honestScore = (artifact: Uint8Array) => {
  const match = /^adapter (\d+)/.exec(new TextDecoder().decode(artifact));
  return match === null ? 2n ** 255n - 1n : WAD + (BigInt(match[1]!) * WAD) / 100n;
};

interface Arena {
  t: TestApp;
  clock: ManualClock;
  taskId: number;
  start: number;
  endTime: Date;
  trainers: LocalAccount[];
  validators: LocalAccount[];
}

/** A task on a fresh coordinator (recording chain), with staked trainers and validators. */
async function openArena(trainers: number, validators: number): Promise<Arena> {
  const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  const t = await startTestApp({
    dataDir: await freshDataDir(),
    clock,
    chain: createRecordingChainGateway(),
    evaluator: tableEvaluator(),
  });
  const start = clock.now().getTime();
  const creator = operatorAccount;
  const created = await t.signed(creator, "POST", "/tasks", {
    title: "arena",
    description: "d",
    type: "lm-lora",
    baseModel: await t.publish("base model"),
    contextLength: 64,
    maxTrainableParams: 1000,
    trainingSetId: await t.publish("train"),
    validationCommitment: contentId(`hidden ${start} ${Math.random()}`),
    submissionDeadline: new Date(start + 60 * 60_000).toISOString(),
    endTime: new Date(start + 120 * 60_000).toISOString(),
    rewardWeight: "1",
    minStake: (1000n * WAD).toString(),
    minLockDays: 0,
  });
  if (created.statusCode !== 201) throw new Error(created.body);
  const taskId: number = created.json().id;
  const hidden = await t.artifacts.put(bytes("hidden"), { maxBytes: 6 });
  await t.repos.artifacts.record({ id: hidden.id, size: hidden.size, mediaType: "application/octet-stream" });
  await t.repos.tasks.setHiddenValidationSet(taskId, hidden.id);
  const arena: Arena = {
    t,
    clock,
    taskId,
    start,
    endTime: new Date(start + 120 * 60_000),
    trainers: Array.from({ length: trainers }, key),
    validators: Array.from({ length: validators }, key),
  };
  for (const trainer of arena.trainers) await t.indexStake(taskId, trainer.address, "trainer", 2000n * WAD);
  for (const v of arena.validators) await t.indexStake(taskId, v.address, "validator", 3000n * WAD);
  return arena;
}

async function commitAndUpload(a: Arena, trainer: LocalAccount, artifact: Uint8Array, upload = true) {
  const commit = await a.t.signed(trainer, "POST", `/tasks/${a.taskId}/submissions`, {
    commitHash: contentId(artifact),
  });
  if (commit.statusCode !== 201) return { commit, upload: undefined };
  return {
    commit,
    upload: upload
      ? await a.t.upload(trainer, `/submissions/${commit.json().id}/artifact`, artifact)
      : undefined,
  };
}

describe("one live submission per trainer and task (SPEC §2.1)", () => {
  let arena: Arena | undefined;
  afterAll(() => arena?.t.dispose());

  it("a second commit replaces the first: the replaced artifact is never scored and the task settles", async () => {
    arena = await openArena(2, 3);
    const a = arena;
    const [alice, bob] = a.trainers as [LocalAccount, LocalAccount];
    const first = await commitAndUpload(a, alice, bytes("adapter 10"));
    expect(first.upload?.json().status).toBe("accepted");
    // The attack that used to block settlement: the same trainer commits again with another hash.
    const second = await commitAndUpload(a, alice, bytes("adapter 20"), false);
    expect(second.commit.statusCode).toBe(201);
    const replaced = await a.t.repos.submissions.get(first.commit.json().id);
    expect(replaced).toMatchObject({ status: "replaced", replacedBy: second.commit.json().id });
    const events = await a.t.repos.events.listAfter(0, { types: ["submission.replaced"] });
    expect(events.map((e) => e.payload)).toEqual([
      {
        taskId: a.taskId,
        submissionId: first.commit.json().id,
        replacedBy: second.commit.json().id,
        trainer: alice.address.toLowerCase(),
      },
    ]);
    // Uploading for the replaced commit is refused; the same hash again is not a new submission.
    const late = await a.t.upload(
      alice,
      `/submissions/${first.commit.json().id}/artifact`,
      bytes("adapter 10"),
    );
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe("SUBMISSION_REPLACED");
    const same = await a.t.signed(alice, "POST", `/tasks/${a.taskId}/submissions`, {
      commitHash: contentId(bytes("adapter 20")),
    });
    expect(same.json().code).toBe("SUBMISSION_EXISTS");
    await a.t.upload(alice, `/submissions/${second.commit.json().id}/artifact`, bytes("adapter 20"));
    await commitAndUpload(a, bob, bytes("adapter 30"));

    a.clock.set(new Date(a.start + 60 * 60_000));
    await a.t.app.scheduler.runDue();
    expect(await a.t.repos.assignments.listForSubmission(first.commit.json().id)).toEqual([]);
    const pending: PendingReveal[] = [];
    for (const v of a.validators) {
      for (const assignment of (await a.t.signed(v, "GET", "/assignments")).json().items) {
        const submission = await a.t.repos.submissions.get(assignment.submissionId);
        const artifact = await a.t.artifacts.read(submission.artifactId!);
        pending.push(await commitScore(a.t, v, assignment.id, honestScore(artifact)));
      }
    }
    await revealAndFinalize(a.t, a.clock, a.endTime, pending);
    await a.t.app.scheduler.runDue();
    expect((await a.t.repos.tasks.get(a.taskId)).status).toBe("closed");
    const [epoch] = await a.t.repos.epochs.list({ taskId: a.taskId });
    const report = JSON.parse(new TextDecoder().decode(await a.t.artifacts.read(epoch!.reportId)));
    expect(report.inputs.submissions.map((s: { id: string }) => Number(s.id)).sort()).toEqual(
      [
        second.commit.json().id,
        (await a.t.repos.submissions.listAll({ taskId: a.taskId, trainer: bob.address }))[0]!.id,
      ].sort(),
    );
  });
});

/** What one participant does in a generated scenario. */
const trainerMove = fc.oneof(
  fc.record({ kind: fc.constant("submit" as const), artifact: fc.nat({ max: 5 }), upload: fc.boolean() }),
  fc.record({
    kind: fc.constant("resubmit" as const),
    artifacts: fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 5 })),
  }),
  fc.record({ kind: fc.constant("copy" as const), of: fc.nat({ max: 3 }) }),
  fc.constant({ kind: "absent" as const }),
);
const validatorMove = fc.constantFrom("honest", "lie", "unrevealed", "refuse", "absent", "report");

describe("whatever the participants do, the task finalizes and settles (fast-check, recording chain)", () => {
  it("random commits, re-commits, uploads or not, copies, refusals, lies, missed reveals, reports and no-shows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(trainerMove, { minLength: 1, maxLength: 4 }),
        fc.array(validatorMove, { minLength: 2, maxLength: 4 }),
        async (trainerMoves, validatorMoves) => {
          const a = await openArena(trainerMoves.length, validatorMoves.length);
          try {
            const uploaded: Uint8Array[] = [];
            for (const [i, move] of trainerMoves.entries()) {
              const trainer = a.trainers[i]!;
              const artifact = (n: number) => bytes(`adapter ${n} of trainer ${i}`);
              if (move.kind === "submit") {
                await commitAndUpload(a, trainer, artifact(move.artifact), move.upload);
                uploaded.push(artifact(move.artifact));
              } else if (move.kind === "resubmit") {
                await commitAndUpload(a, trainer, artifact(move.artifacts[0]));
                await commitAndUpload(a, trainer, artifact(move.artifacts[1] + 10));
              } else if (move.kind === "copy" && uploaded.length > 0) {
                await commitAndUpload(a, trainer, uploaded[move.of % uploaded.length]!);
              }
            }
            a.clock.set(new Date(a.start + 60 * 60_000));
            await a.t.app.scheduler.runDue();
            const pending: PendingReveal[] = [];
            for (const [i, move] of validatorMoves.entries()) {
              const v = a.validators[i]!;
              for (const assignment of (await a.t.signed(v, "GET", "/assignments")).json().items) {
                const submission = await a.t.repos.submissions.get(assignment.submissionId);
                const truth = honestScore(await a.t.artifacts.read(submission.artifactId!));
                if (move === "refuse") {
                  await a.t.signed(v, "POST", `/assignments/${assignment.id}/refuse`, { reason: "no" });
                } else if (move === "report") {
                  // The pre-commit-reveal route is gone: a plain score report is no route at all.
                  const old = await a.t.signed(v, "POST", `/assignments/${assignment.id}/score`, {
                    score: "1",
                  });
                  expect(old.statusCode).toBe(404);
                } else if (move !== "absent") {
                  const reveal = await commitScore(
                    a.t,
                    v,
                    assignment.id,
                    move === "lie" ? truth - WAD : truth,
                  );
                  if (move !== "unrevealed") pending.push(reveal);
                }
              }
            }
            await revealAndFinalize(a.t, a.clock, a.endTime, pending);
            for (let round = 0; round < 4; round++) {
              a.clock.advance(60_000);
              await a.t.app.scheduler.runDue();
            }
            const task = await a.t.repos.tasks.get(a.taskId);
            expect(task.status).toBe("closed");
            const [epoch] = await a.t.repos.epochs.list({ taskId: a.taskId });
            expect(epoch?.txHash).toMatch(/^0x/);
            // No committed score is left hanging and no trainer has two live submissions.
            expect(await a.t.repos.assignments.listForTask(a.taskId, { status: "committed" })).toEqual([]);
            const live = await a.t.repos.submissions.listAll({
              taskId: a.taskId,
              status: ["committed", "uploaded", "accepted"],
            });
            expect(new Set(live.map((s) => s.trainer)).size).toBe(live.length);
          } finally {
            await a.t.dispose();
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 240_000);
});
