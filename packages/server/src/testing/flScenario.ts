import type { AddressInfo } from "node:net";
import type { wire } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  type FlHttp,
  type FlTestBehaviour,
  type FlTestParticipant,
  flHttp,
  flTestParticipant,
  vectorModel,
} from "./flTestParticipant.ts";
import { operatorAccount } from "./operatorAccount.ts";
import { createRecordingChainGateway, type RecordingChainGateway } from "./recordingChainGateway.ts";
import { type ManualClock, manualClock, startTestApp, type TestApp } from "./testApp.ts";

const WAD = 10n ** 18n;
const MINUTE = 60_000;

/** A coordinator listening on loopback with a recording chain and a manual clock, and a federated task on it. */
export interface FlScenario {
  t: TestApp;
  chain: RecordingChainGateway;
  clock: ManualClock;
  http: FlHttp;
  origin: string;
  taskId: number;
  participants: FlTestParticipant[];
  /** Let the join deadline pass and play until the task is no longer running (or `maxSteps` steps). */
  play(options?: { maxSteps?: number; until?: () => Promise<boolean> }): Promise<void>;
  task(): Promise<wire.FlTask>;
  rounds(): Promise<wire.FlRound[]>;
  dispose(): Promise<void>;
}

export interface FlScenarioOptions {
  /** Each participant's target (its private data) and behaviour. */
  participants: { target: number[]; behaviour?: FlTestBehaviour; stake?: bigint }[];
  rounds?: number;
  strategy?: wire.FlStrategy;
  privacy?: wire.FlPrivacy;
  proposerFractionBps?: number;
  pool?: bigint;
  roundSeconds?: number;
  payRule?: wire.FlPayRule;
}

export async function startFlScenario(options: FlScenarioOptions): Promise<FlScenario> {
  const clock = manualClock(new Date(Math.floor(Date.now() / MINUTE) * MINUTE));
  const chain = createRecordingChainGateway();
  let t = await startTestApp({ clock, chain, config: { flPollMs: 1000 } });
  const listen = async () => {
    await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    return `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;
  };
  let origin = await listen();
  let http = flHttp(origin, chain, clock);
  const start = clock.now().getTime();
  const pool = options.pool ?? 1000n * WAD;
  const created = await http.signed(operatorAccount, "POST", "/fl/tasks", {
    title: "federated vectors",
    description: "participants pull a shared vector toward their private targets",
    modelType: "regressor",
    baseModel: await t.publish(vectorModel(options.participants[0]!.target.map(() => 0))),
    rounds: options.rounds ?? 2,
    roundSeconds: options.roundSeconds ?? 60,
    minParticipants: options.participants.length,
    maxParticipants: options.participants.length,
    joinDeadline: new Date(start + 10 * MINUTE).toISOString(),
    rewardWeight: "0",
    pool: pool.toString(),
    minStake: (100n * WAD).toString(),
    minLockDays: 0,
    strategy: options.strategy ?? { name: "fedavg" },
    privacy: options.privacy ?? { mode: "plain" },
    payRule: options.payRule ?? "stake",
    ...(options.proposerFractionBps === undefined
      ? {}
      : { proposerFractionBps: options.proposerFractionBps }),
    trainConfig: { learningRate: 0.5 },
  });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const taskId = (created.json() as wire.FlTask).id;
  chain.taskPools.set(taskId, pool);
  const opened = await http.signed(operatorAccount, "POST", `/fl/tasks/${taskId}/open`);
  if (opened.status !== 200) throw new Error(`open: ${opened.status} ${opened.text}`);
  // Participants talk to whichever coordinator is up (a restart listens on a new port).
  const current: FlHttp = { signed: (...a) => http.signed(...a), bytes: (path) => http.bytes(path) };
  const participants: FlTestParticipant[] = [];
  for (const spec of options.participants) {
    const account = privateKeyToAccount(generatePrivateKey());
    await t.indexStake(taskId, account.address, "trainer", spec.stake ?? 1000n * WAD);
    const joined = await http.signed(account, "POST", `/fl/tasks/${taskId}/join`);
    if (joined.status !== 200) throw new Error(`join: ${joined.status} ${joined.text}`);
    participants.push(flTestParticipant(current, taskId, account, spec.target, spec.behaviour ?? {}));
  }
  const scenario: FlScenario = {
    get t() {
      return t;
    },
    chain,
    clock,
    get http() {
      return http;
    },
    get origin() {
      return origin;
    },
    taskId,
    participants,
    async task() {
      return (await http.signed(operatorAccount, "GET", `/fl/tasks/${taskId}`)).json() as wire.FlTask;
    },
    async rounds() {
      return (
        (await http.signed(operatorAccount, "GET", `/fl/tasks/${taskId}/rounds`)).json() as {
          rounds: wire.FlRound[];
        }
      ).rounds;
    },
    async play(playOptions = {}) {
      if (clock.now().getTime() < start + 10 * MINUTE) clock.set(new Date(start + 10 * MINUTE));
      for (let step = 0; step < (playOptions.maxSteps ?? 400); step++) {
        await t.app.scheduler.runDue();
        for (const p of participants) await p.answerPending();
        await t.app.scheduler.runDue();
        if (playOptions.until !== undefined && (await playOptions.until())) return;
        const task = await t.repos.tasks.get(taskId);
        if (task.status === "closed" || task.status === "cancelled") return;
        clock.advance(1000);
      }
    },
    async dispose() {
      await t.dispose();
    },
  };
  // A restart: close this coordinator (keeping its folder) and open another on the same store.
  Object.assign(scenario, {
    async restart() {
      await t.close();
      t = await startTestApp({ dataDir: t.dataDir, clock, chain, config: { flPollMs: 1000 } });
      origin = await listen();
      http = flHttp(origin, chain, clock);
    },
  });
  return scenario;
}

/** Restart the scenario's coordinator on the same store (see startFlScenario). */
export async function restartCoordinator(scenario: FlScenario): Promise<void> {
  await (scenario as FlScenario & { restart(): Promise<void> }).restart();
}
