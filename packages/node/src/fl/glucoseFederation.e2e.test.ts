import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRng, formatTabularCsv, initTabularMlp, type TabularRows } from "@flock/engine";
import { decodeArrays, encodeArrays } from "@flock/fl";
import { createFlockClient } from "@flock/sdk";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CoordinatorProcess, startCoordinatorProcess } from "../testing/coordinatorProcess.ts";
import { type FlProgress, runFlParticipant } from "./flParticipant.ts";
import { FlParticipantStateFile } from "./flParticipantState.ts";
import { flShards, shardModelSpec } from "./flShards.ts";
import { type TabularFlApp, tabularFlApp } from "./tabularFlApp.ts";

const WAD = 10n ** 18n;
/** Dev account 0 of the public development mnemonic: an operator on the test coordinator's chain. */
const OPERATOR = mnemonicToAccount("test test test test test test test test test test test junk");

// Three patients' continuous-glucose-monitor series, one per party (each its own device or clinic).
const shards = flShards({ dataset: "glucose", parts: 3, seed: 4 });
const spec = shardModelSpec(shards, [16]);
const initial = initTabularMlp(spec.config, createRng(5));
/** The base model as plain arrays (sorted names, as the coordinator stores global models). */
const baseModel = encodeArrays(new Map([...initial].sort(([a], [b]) => (a < b ? -1 : 1))));

/** Every party's held-out rows together (each patient's latest 20% of windows). */
function pooledTest(): TabularRows {
  const parts = shards.parts.map((p) => p.test);
  return {
    ...parts[0]!,
    rows: parts.reduce((s, p) => s + p.rows, 0),
    x: Float32Array.from(parts.flatMap((p) => [...p.x])),
    y: Float32Array.from(parts.flatMap((p) => [...p.y])),
  };
}

/**
 * The blood-glucose forecasting federation over real HTTP (issue 12, item 7): generated CGM series split by
 * patient, a regressor (glucose 30 minutes ahead from the last hour of readings, time of day, carbs and
 * insulin) trained by three parties through a coordinator; the federated model's RMSE beats the base model's
 * on the pooled held-out windows.
 */
describe("the blood-glucose regressor federation, split by patient", () => {
  let coordinator: CoordinatorProcess;
  let stateDir = "";
  const apps: TabularFlApp[] = [];

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "flock-fl-glucose-"));
    coordinator = await startCoordinatorProcess({ flPollMs: 100 });
  });
  afterAll(async () => {
    for (const app of apps) await app.release();
    await coordinator?.stop();
    await rm(stateDir, { recursive: true, force: true });
  });

  it("finishes three rounds and the federated RMSE beats the base model on the pooled held-out rows", async () => {
    const creator = createFlockClient({ baseUrl: coordinator.url, account: OPERATOR });
    const task = await creator.fl.create({
      title: "glucose 30 minutes ahead, three patients",
      description: "",
      modelType: "regressor",
      baseModel: (await creator.artifacts.publish(baseModel)).id,
      rounds: 3,
      roundSeconds: 30,
      minParticipants: 3,
      maxParticipants: 3,
      joinDeadline: new Date(Date.now() + 4000),
      rewardWeight: 1n,
      minStake: 100n * WAD,
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy: { mode: "plain" },
      payRule: "stake",
      proposerFractionBps: 6667,
      trainConfig: { learningRate: 1e-6, localEpochs: 2, batchSize: 32 },
    });
    const events: FlProgress[] = [];
    const results = await Promise.all(
      shards.parts.map(async (part, i) => {
        const account = privateKeyToAccount(generatePrivateKey());
        const address = account.address.toLowerCase();
        await coordinator.indexStake(task.id, address, 1000n * WAD);
        const app = tabularFlApp({
          trainCsv: formatTabularCsv(part.train),
          testCsv: formatTabularCsv(part.test),
          spec,
          seed: i,
        });
        apps.push(app);
        return runFlParticipant({
          client: createFlockClient({ baseUrl: coordinator.url, account }),
          account: address,
          taskId: task.id,
          app,
          state: new FlParticipantStateFile(join(stateDir, `${address}.json`), task.id, address),
          onProgress: (p) => events.push(p),
          waitMs: 2000,
        });
      }),
    );
    for (const r of results) expect(["finished", "closed"]).toContain(r.taskStatus);
    expect(events.filter((e) => e.type === "failed")).toEqual([]);
    const reader = createFlockClient({ baseUrl: coordinator.url });
    const done = await reader.fl.get(task.id);
    expect(done.acceptedRounds).toBe(3);

    const testCsv = formatTabularCsv(pooledTest());
    const judge = tabularFlApp({ trainCsv: testCsv, testCsv, spec });
    apps.push(judge);
    const rmseOf = async (id: string) =>
      (
        await judge.evaluate({
          nodeId: "judge",
          kind: "evaluate",
          round: 0,
          arrays: decodeArrays(await reader.fl.arrays(task.id, id)).arrays,
          config: {},
        })
      ).metrics.rmse!;
    const baseRmse = await rmseOf(task.baseModel);
    const finalRmse = await rmseOf(done.globalModel);
    console.log(
      `glucose federation, pooled held-out RMSE (mg/dL): base ${baseRmse.toFixed(1)}, federated ${finalRmse.toFixed(1)}`,
    );
    expect(finalRmse).toBeLessThan(baseRmse / 2);
  }, 60_000);
});
