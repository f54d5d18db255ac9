import { contentId, scoreCommitment } from "@flock/core";
import type { LocalAccount } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { operatorAccount } from "../src/testing/operatorAccount.ts";
import { signedHeaders } from "../src/testing/signedHeaders.ts";
import { type ManualClock, manualClock } from "../src/testing/testApp.ts";
import { type BenchApp, type BenchDatabase, openBenchApp } from "./benchApp.ts";
import type { LoadClient } from "./loadClient.ts";
import type { PlannedRequest } from "./loadJobs.ts";
import { started } from "./resources.ts";
import { log, quantile, type Rate, rate, round } from "./stats.ts";

export const READ_SECONDS = Number(process.env.BENCH_SECONDS ?? 2.5);
const WAD = 10n ** 18n;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/**
 * Where every coordinator's manual clock starts: this minute, near the real time, because the database
 * stamps tasks with its own clock.
 */
export const T0 = new Date(Math.floor(Date.now() / MINUTE) * MINUTE);
const at = (ms: number) => new Date(T0.getTime() + ms);
/** A fresh participant key. */
export const key = () => privateKeyToAccount(generatePrivateKey());

const WRITE_TASKS = 6;
export const TRAINERS = 100;
export const WRITE_WARMUP = 100;
export const WRITE_CONCURRENCY = 8;
const SETTLE_TASKS = 4; // the first is the warm-up
export const VALIDATORS = 3;
const FILLER_TASKS = 100;

/** The body of POST /tasks (as the tests write it). */
function taskBody(n: number, inputs: { baseModel: string; trainingSet: string }, deadline: Date, end: Date) {
  return {
    title: `bench task ${n}`,
    description: "a task created by the coordinator benchmark",
    type: "lm-lora",
    baseModel: inputs.baseModel,
    contextLength: 64,
    maxTrainableParams: 1000,
    trainingSetId: inputs.trainingSet,
    validationCommitment: contentId(`hidden set ${n}`),
    submissionDeadline: deadline.toISOString(),
    endTime: end.toISOString(),
    rewardWeight: "1",
    minStake: (1000n * WAD).toString(),
    minLockDays: 0,
  };
}

async function createTask(t: BenchApp, creator: LocalAccount, body: ReturnType<typeof taskBody>) {
  const response = await t.signed(creator, "POST", "/tasks", body);
  if (response.statusCode !== 201) throw new Error(`POST /tasks: ${response.statusCode} ${response.body}`);
  return response.json().id as number;
}

/** Sections 1, 2 and 4 on one database. */
export interface DatabaseFigures {
  reads: Record<"taskById" | "taskList", Record<"c1" | "c16", Rate>>;
  writes: Rate;
  settlement: { medianMs: number; minMs: number; maxMs: number; runsMs: number[]; setup: string };
}

/** Measure reads, signed writes and settlement on one database. */
export async function benchDatabase(database: BenchDatabase, client: LoadClient): Promise<DatabaseFigures> {
  const clock: ManualClock = manualClock(T0);
  // Assignments never time out during the run, so the end-of-task job does only the finalization's work.
  const t = await openBenchApp({ database, clock, config: { assignmentTimeoutMs: 10 * DAY } });
  const dispose = started(`coordinator on ${database.kind}`, () => t.dispose());
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);
  // An operator's emission-paid tasks open at once (SPEC §3).
  const creator = operatorAccount;
  const inputs = {
    baseModel: await t.publish(new TextEncoder().encode("base model")),
    trainingSet: await t.publish(new TextEncoder().encode("training set")),
  };

  log(`[${database.kind}] creating tasks`);
  const writeTasks: number[] = [];
  const settleTasks: number[] = [];
  let n = 0;
  for (let i = 0; i < WRITE_TASKS; i++)
    writeTasks.push(await createTask(t, creator, taskBody(n++, inputs, at(20 * DAY), at(21 * DAY))));
  for (let i = 0; i < SETTLE_TASKS; i++)
    settleTasks.push(
      await createTask(t, creator, taskBody(n++, inputs, at(60 * MINUTE), at((120 + i) * MINUTE))),
    );
  const readIds: number[] = [...writeTasks, ...settleTasks];
  for (let i = 0; i < FILLER_TASKS; i++)
    readIds.push(await createTask(t, creator, taskBody(n++, inputs, at(20 * DAY), at(21 * DAY))));

  // 1. Public reads.
  const reads = {} as DatabaseFigures["reads"];
  for (const [name, requests] of [
    ["taskById", readIds.map((id): PlannedRequest => ({ method: "GET", path: `/tasks/${id}` }))],
    ["taskList", [{ method: "GET", path: "/tasks?limit=100" } satisfies PlannedRequest]],
  ] as const) {
    reads[name] = {} as Record<"c1" | "c16", Rate>;
    for (const concurrency of [1, 16]) {
      log(`[${database.kind}] ${name} × ${concurrency}`);
      const result = await client.run({
        kind: "timed",
        baseUrl: t.baseUrl,
        requests: [...requests],
        concurrency,
        warmupMs: 500,
        durationMs: READ_SECONDS * 1000,
      });
      reads[name][`c${concurrency}` as "c1" | "c16"] = rate(result, 200, `${database.kind} ${name}`);
    }
  }

  // 2. Signed writes: one commit per (trainer, task), every trainer staked on every write task.
  log(`[${database.kind}] staking and signing ${WRITE_TASKS * TRAINERS} commits`);
  const trainers = Array.from({ length: TRAINERS }, key);
  let block = 1;
  const stake = async (taskId: number, account: LocalAccount, role: "trainer" | "validator") => {
    await t.repos.stakes.applyEvent({
      taskId,
      account: account.address,
      role,
      amount: 4000n * WAD,
      blockNumber: block++,
      logIndex: 0,
    });
  };
  const commits: PlannedRequest[] = [];
  for (const taskId of writeTasks) {
    for (const trainer of trainers) {
      await stake(taskId, trainer, "trainer");
      const path = `/tasks/${taskId}/submissions`;
      const body = JSON.stringify({ commitHash: contentId(`adapter of ${trainer.address} for ${taskId}`) });
      const headers = await signedHeaders({
        account: trainer,
        chainId: t.chainId,
        method: "POST",
        path,
        body,
        timestamp: nowSeconds(),
      });
      commits.push({ method: "POST", path, headers, body });
    }
  }
  log(`[${database.kind}] commits × ${WRITE_CONCURRENCY}`);
  const writes = rate(
    await client.run({
      kind: "once",
      baseUrl: t.baseUrl,
      requests: commits,
      concurrency: WRITE_CONCURRENCY,
      warmup: WRITE_WARMUP,
    }),
    201,
    `${database.kind} commits`,
  );

  // 4. Settlement of tasks with 100 accepted submissions × 3 scores (setup through the repositories).
  log(`[${database.kind}] preparing ${SETTLE_TASKS} tasks for settlement`);
  const validators = Array.from({ length: VALIDATORS }, key);
  for (const taskId of settleTasks) {
    for (const v of validators) await stake(taskId, v, "validator");
    for (const trainer of trainers) {
      await stake(taskId, trainer, "trainer");
      const id = contentId(`adapter of ${trainer.address} for ${taskId}`);
      await t.repos.artifacts.record({ id, size: 1000, mediaType: "application/octet-stream" });
      const submission = await t.repos.submissions.commit({
        taskId,
        trainer: trainer.address,
        commitHash: id,
        committedAt: clock.now(),
      });
      await t.repos.submissions.recordUpload(submission.id, {
        artifactId: id,
        size: 1000,
        uploadedAt: clock.now(),
      });
      await t.repos.submissions.accept(submission.id);
    }
  }
  // The deadline job draws 3 validators per submission (there are exactly 3), as in production.
  clock.set(at(60 * MINUTE));
  await t.app.scheduler.runDue();
  for (const taskId of settleTasks) {
    const assignments = await t.repos.assignments.listForTask(taskId);
    if (assignments.length !== TRAINERS * VALIDATORS)
      throw new Error(`task ${taskId} has ${assignments.length} assignments`);
    for (const a of assignments) {
      // Every validator reports the same score for a submission: consensus, so no dispute is opened.
      const score = WAD + BigInt(a.submissionId % TRAINERS) * 10n ** 16n;
      // Straight into the store: commit, then reveal (the routes' checks are not what this measures).
      const salt = `0x${"00".repeat(16)}`;
      const commitment = scoreCommitment({ assignmentId: a.id, score, salt });
      await t.repos.assignments.commitScore(a.id, {
        validator: a.validator,
        commitment,
        committedAt: clock.now(),
      });
      await t.repos.scores.reveal({
        assignmentId: a.id,
        validator: a.validator,
        score,
        salt,
        evidence: { bpc: score.toString() },
        reportedAt: clock.now(),
        request: { headers: {}, body: "" },
      });
    }
  }
  const runsMs: number[] = [];
  for (const [i, taskId] of settleTasks.entries()) {
    clock.set(at((120 + i) * MINUTE));
    log(`[${database.kind}] settling task ${taskId}`);
    const start = performance.now();
    await t.app.scheduler.runDue();
    const elapsed = performance.now() - start;
    const task = await t.repos.tasks.get(taskId);
    const epochs = await t.repos.epochs.list({ taskId });
    if (task.status !== "closed" || epochs.length !== 1)
      throw new Error(`task ${taskId} did not settle: ${task.status}, ${epochs.length} epoch(s)`);
    if (i > 0) runsMs.push(round(elapsed, 4));
  }
  await dispose();
  return {
    reads,
    writes,
    settlement: {
      medianMs: round(quantile(runsMs, 0.5)),
      minMs: round(Math.min(...runsMs)),
      maxMs: round(Math.max(...runsMs)),
      runsMs,
      setup: "repositories",
    },
  };
}
