import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { wire } from "@flock/core";
import { createRng, formatTabularCsv, initTabularMlp } from "@flock/engine";
import { decodeArrays, encodeArrays } from "@flock/fl";
import { createFlockClient, type FlockClient } from "@flock/sdk";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlProgress, runFlParticipant } from "./flParticipant.ts";
import { FlParticipantStateFile } from "./flParticipantState.ts";
import { flShards, shardModelSpec } from "./flShards.ts";
import { type TabularFlApp, tabularFlApp } from "./tabularFlApp.ts";

// The coordinator runs in its own process (PGlite, a recording chain, the real clock), reached over HTTP on
// loopback as any participant reaches it.
const SERVER = fileURLToPath(new URL("../../../server/src/testing/testServer.ts", import.meta.url));
const WAD = 10n ** 18n;
/** Dev account 0 of the public development mnemonic: an operator on the test coordinator's chain. */
const OPERATOR = mnemonicToAccount("test test test test test test test test test test test junk");

const shards = flShards({ dataset: "digits", parts: 3, seed: 11 });
const spec = shardModelSpec(shards, [16]);
/**
 * The base model as plain arrays (sorted names, as decodeArrays reads a tabular model file), without the
 * tabular spec in its metadata: the coordinator re-stores the global model it sends in round 1 without the
 * file's metadata and serves only the task's own model ids, so a base model with metadata would be sent under
 * an id GET /fl/tasks/:id/arrays refuses (FL_MODEL_NOT_FOUND). The participants get the spec directly here.
 */
const initial = initTabularMlp(spec.config, createRng(5));
const baseModel = encodeArrays(new Map([...initial].sort(([a], [b]) => (a < b ? -1 : 1))));

describe("three participants over HTTP play a classifier task with a real coordinator", () => {
  let server: ChildProcessWithoutNullStreams;
  let baseUrl = "";
  let dir = "";
  const replies: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const line = replies.shift();
      if (line !== undefined) resolve(line);
      else waiters.push(resolve);
    });
  const apps: TabularFlApp[] = [];

  async function indexStake(taskId: number, account: string, amount: bigint) {
    server.stdin.write(
      `${JSON.stringify({ op: "stake", taskId, account, role: "trainer", amount: amount.toString() })}\n`,
    );
    expect(JSON.parse(await nextLine())).toEqual({ ok: true });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "flock-fl-e2e-"));
    server = spawn(process.execPath, [SERVER, JSON.stringify({ flPollMs: 100 })], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    server.stderr.on("data", (chunk) => process.stderr.write(chunk));
    createInterface({ input: server.stdout }).on("line", (line) => {
      const waiter = waiters.shift();
      if (waiter !== undefined) waiter(line);
      else replies.push(line);
    });
    baseUrl = (JSON.parse(await nextLine()) as { url: string }).url;
  });
  afterAll(async () => {
    for (const app of apps) await app.release();
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.stdin.end();
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Create a task, stake three participants, run their daemons to the task's end. */
  async function play(privacy: wire.FlPrivacy, payRule: wire.FlPayRule) {
    const creator = createFlockClient({ baseUrl, account: OPERATOR });
    const baseId = (await creator.artifacts.publish(baseModel)).id;
    const task = await creator.fl.create({
      title: `digits across three hospitals (${privacy.mode}, pay by ${payRule})`,
      description: "",
      modelType: "classifier",
      baseModel: baseId,
      rounds: 2,
      roundSeconds: 30,
      minParticipants: 3,
      maxParticipants: 3,
      joinDeadline: new Date(Date.now() + 4000),
      rewardWeight: 1n,
      minStake: 100n * WAD,
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy,
      payRule,
      proposerFractionBps: 6667,
      trainConfig: { learningRate: 0.1, localEpochs: 2, batchSize: 32 },
    });
    // An operator's task paid from emission opens at once.
    expect(task.status).toBe("open");
    const events: FlProgress[][] = [];
    const runs = shards.parts.map(async (part, i) => {
      const account = privateKeyToAccount(generatePrivateKey());
      const address = account.address.toLowerCase();
      const client: FlockClient = createFlockClient({ baseUrl, account });
      await indexStake(task.id, address, 1000n * WAD);
      const app = tabularFlApp({
        trainCsv: formatTabularCsv(part.train),
        testCsv: formatTabularCsv(part.test),
        spec,
        seed: i,
      });
      apps.push(app);
      const seen: FlProgress[] = [];
      events.push(seen);
      return runFlParticipant({
        client,
        account: address,
        taskId: task.id,
        app,
        state: new FlParticipantStateFile(join(dir, `${task.id}-${address}.json`), task.id, address),
        onProgress: (p) => seen.push(p),
        waitMs: 2000,
      });
    });
    const results = await Promise.all(runs);
    const reader = createFlockClient({ baseUrl });
    return {
      results,
      events,
      task: await reader.fl.get(task.id),
      rounds: await reader.fl.rounds(task.id),
      reader,
    };
  }

  /** The test loss of a model of the task, on every party's test rows together. */
  async function pooledTestLoss(reader: FlockClient, taskId: number, id: string) {
    const arrays = decodeArrays(await reader.fl.arrays(taskId, id)).arrays;
    const testCsv = formatTabularCsv({
      ...shards.parts[0]!.test,
      rows: shards.parts.reduce((s, p) => s + p.test.rows, 0),
      x: Float32Array.from(shards.parts.flatMap((p) => [...p.test.x])),
      y: Int32Array.from(shards.parts.flatMap((p) => [...p.test.y])),
    });
    const app = tabularFlApp({ trainCsv: testCsv, testCsv, spec });
    apps.push(app);
    return (await app.evaluate({ nodeId: "judge", kind: "evaluate", round: 0, arrays, config: {} })).metrics;
  }

  const cases: [wire.FlPrivacy, wire.FlPayRule][] = [
    [{ mode: "plain" }, "stake"],
    [{ mode: "secagg" }, "stake"],
    [{ mode: "plain" }, "contribution"],
  ];
  for (const [privacy, payRule] of cases) {
    it(`finishes 2 rounds in ${privacy.mode} mode paying by ${payRule}: proposers train, voters vote by commit-reveal, the global model improves`, async () => {
      const { results, events, task, rounds, reader } = await play(privacy, payRule);
      // Each daemon stops once the last round is played (finished) or already settled (closed).
      for (const r of results) expect(["finished", "closed"]).toContain(r.taskStatus);
      expect(["finished", "closed"]).toContain(task.status);
      expect(task).toMatchObject({ acceptedRounds: 2, participants: 3 });
      const accepted = rounds.filter((r) => r.status === "accepted");
      expect(accepted).toHaveLength(2);
      for (const round of accepted) {
        expect(round.proposers).toHaveLength(2);
        expect(round.voters).toHaveLength(1);
        expect(round.voters[0]!.vote).toBe(1);
        // The voter's revealed evaluation on its own test data: the candidate beat the global model.
        expect(round.voters[0]!.metrics!.candidateLoss).toBeLessThan(round.voters[0]!.metrics!.globalLoss!);
        expect(round.contributors.sort()).toEqual(round.proposers.map((p) => p.account).sort());
        if (payRule === "contribution") {
          // The voter evaluated the global model and the three coalitions of the two proposers; both are valued.
          expect(round.contributions!.map((c) => c.account).sort()).toEqual(round.contributors.sort());
          expect(round.contributions!.some((c) => BigInt(c.valueWad) > 0n)).toBe(true);
        } else expect(round.contributions).toBeUndefined();
      }
      // Every participant saw its roles: each round's proposers trained, its voter committed and revealed.
      const answered = events.flat().filter((e) => e.type === "answered");
      const stages = new Set(answered.map((e) => e.type === "answered" && e.stage));
      expect(stages).toContain("vote-commit");
      expect(stages).toContain("vote-reveal");
      expect(stages).toContain(privacy.mode === "plain" ? "train" : "masked-input");
      expect(events.flat().filter((e) => e.type === "failed")).toEqual([]);
      // The federation learned: the final global model beats the base model on the parties' pooled test rows.
      const base = await pooledTestLoss(reader, task.id, task.baseModel);
      const final = await pooledTestLoss(reader, task.id, task.globalModel);
      expect(task.globalModel).not.toBe(task.baseModel);
      expect(final.loss).toBeLessThan(base.loss!);
      expect(final.accuracy).toBeGreaterThan(base.accuracy! + 0.2);
    }, 60_000);
  }
});
