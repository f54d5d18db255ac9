import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId, type FlockError } from "@flock/core";
import {
  countParameters,
  createRng,
  decodeBaseModel,
  initTabularMlp,
  scoreFullSubmission,
  scoreTabularSubmission,
  type TabularModelSpec,
  writeTabularModel,
} from "@flock/engine";
import {
  engineEvaluationBackend,
  engineTrainingBackend,
  recipe,
  sdkCoordinator,
  TrainerDaemon,
  tabularRecipe,
  ValidatorDaemon,
  type ValidatorEvent,
} from "@flock/node";
import { scoreFromMetric, WORST_SCORE_MAGNITUDE } from "@flock/protocol";
import { createFlockClient, type FlockClient } from "@flock/sdk";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instructionJsonl, tinyBaseModel } from "../../node/src/testing/tinyNetwork.ts";
import { tinyTabularTask } from "../../node/src/testing/tinyTabular.ts";
import { type ServerProcess, startServerProcess } from "../../server/src/testing/serverProcess.ts";

/** Dev account 0 of the public development mnemonic: an operator on the test coordinator's chain. */
const OPERATOR = mnemonicToAccount("test test test test test test test test test test test junk");
const STAKE = 1000n * 10n ** 18n;
const KINDS = ["classifier", "regressor"] as const;

interface Person {
  address: string;
  api: FlockClient;
}

function person(url: string): Person {
  const account = privateKeyToAccount(generatePrivateKey());
  return { address: account.address.toLowerCase(), api: createFlockClient({ baseUrl: url, account }) };
}

const root = mkdtempSync(join(tmpdir(), "flock-tabular-arena-"));
let server: ServerProcess;
beforeAll(async () => {
  server = await startServerProcess({ validatorsPerSubmission: 2, revealWindowMs: 1500 });
});
afterAll(async () => {
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

describe("Arena classifier, regressor and lm-full tasks end to end over HTTP", () => {
  it("trainers train and submit, validators score log-loss and RMSE, the better-trained model ranks first; oversize and misshapen submissions are handled", async () => {
    const operator = createFlockClient({ baseUrl: server.url, account: OPERATOR });
    const [careful, bold, attacker, v1, v2] = Array.from({ length: 5 }, () => person(server.url));
    const deadline = Date.now() + 12_000;
    const files = {
      classifier: tinyTabularTask("classifier", { seed: 7 }),
      regressor: tinyTabularTask("regressor", { seed: 8 }),
    };
    const tasks: Record<string, number> = {};
    for (const kind of KINDS) {
      const f = files[kind];
      await operator.artifacts.publish(f.baseModel);
      await operator.artifacts.publish(new TextEncoder().encode(f.trainingCsv));
      const task = await operator.tasks.create({
        title: `tabular ${kind}`,
        description: "the engine's generated rows",
        type: kind,
        baseModel: contentId(f.baseModel),
        contextLength: 1,
        maxTrainableParams: 10_000,
        trainingSetId: contentId(f.trainingCsv),
        validationCommitment: contentId(f.hiddenCsv),
        submissionDeadline: new Date(deadline),
        endTime: new Date(deadline + 8000),
        rewardWeight: 1n,
        minStake: STAKE,
        minLockDays: 0,
      });
      expect(task).toMatchObject({ type: kind, status: "open" });
      await operator.tasks.uploadValidationSet(task.id, new TextEncoder().encode(f.hiddenCsv));
      tasks[kind] = task.id;
      for (const p of [careful!, bold!, attacker!]) await server.stake(task.id, p.address, "trainer", STAKE);
      for (const p of [v1!, v2!]) await server.stake(task.id, p.address, "validator", STAKE);
    }
    // A full fine-tune of a tiny decoder on the same network: every weight trains, scored in bits per byte.
    const decoder = tinyBaseModel(5);
    const chats = { training: instructionJsonl(1, 32), hidden: instructionJsonl(2, 8) };
    await operator.artifacts.publish(decoder);
    await operator.artifacts.publish(new TextEncoder().encode(chats.training));
    const fullTask = await operator.tasks.create({
      title: "full fine-tune",
      description: "every weight of the decoder",
      type: "lm-full",
      baseModel: contentId(decoder),
      contextLength: 48,
      maxTrainableParams: countParameters(decodeBaseModel(decoder).params),
      trainingSetId: contentId(chats.training),
      validationCommitment: contentId(chats.hidden),
      submissionDeadline: new Date(deadline),
      endTime: new Date(deadline + 8000),
      rewardWeight: 1n,
      minStake: STAKE,
      minLockDays: 0,
    });
    await operator.tasks.uploadValidationSet(fullTask.id, new TextEncoder().encode(chats.hidden));
    for (const p of [careful!, bold!]) await server.stake(fullTask.id, p.address, "trainer", STAKE);
    for (const p of [v1!, v2!]) await server.stake(fullTask.id, p.address, "validator", STAKE);
    const roles = new Map<string, "trainer" | "validator">([
      [careful!.address, "trainer"],
      [bold!.address, "trainer"],
      [v1!.address, "validator"],
      [v2!.address, "validator"],
    ]);
    const coordinator = (p: Person) =>
      sdkCoordinator(p.api, { account: p.address, stakeRole: async () => roles.get(p.address) ?? null });

    // Two honest trainers: one pass over the rows against twelve.
    const trainers = [
      { who: careful!, tabular: tabularRecipe("careful", { epochs: 1 }), name: "careful" },
      { who: bold!, tabular: tabularRecipe("bold", { epochs: 12 }), name: "bold" },
    ];
    for (const t of trainers) {
      const daemon = new TrainerDaemon({
        coordinator: coordinator(t.who),
        backend: engineTrainingBackend(),
        recipe: recipe(t.name, { steps: 6, batchSize: 4, seqLen: 48 }),
        tabularRecipe: t.tabular,
        stateDir: join(root, `trainer-${t.name}`),
      });
      const pass = await daemon.runOnce();
      expect(pass.worked.sort()).toEqual([tasks.classifier, tasks.regressor, fullTask.id].sort());
      const state = await daemon.state();
      for (const id of [tasks.classifier, tasks.regressor, fullTask.id]) {
        expect(state.tasks[String(id)]).toMatchObject({ phase: "uploaded", status: "accepted" });
      }
    }

    // The attacker: an MLP far larger than the base model is refused at upload with a clear 413 …
    const spec = files.classifier.spec;
    const wide = { ...spec.config, hidden: [1024] };
    const oversize = writeTabularModel({ ...spec, config: wide }, initTabularMlp(wide, createRng(1)));
    const big = await attacker!.api.submissions.commit(tasks.classifier!, contentId(oversize));
    const refused = (await attacker!.api.submissions
      .uploadArtifact(big.id, oversize)
      .catch((error: unknown) => error)) as FlockError;
    expect(refused).toMatchObject({ code: "SUBMISSION_TOO_LARGE", details: { httpStatus: 413 } });
    // … then one of another shape (one more hidden unit) and, on the regressor, bytes that are no model at all.
    const other: TabularModelSpec = { ...spec, config: { ...spec.config, hidden: [17] } };
    const misshapen = writeTabularModel(other, initTabularMlp(other.config, createRng(2)));
    const garbage = new TextEncoder().encode("x0,x1\n1,2\n");
    for (const [taskId, bytes] of [
      [tasks.classifier!, misshapen],
      [tasks.regressor!, garbage],
    ] as const) {
      const committed = await attacker!.api.submissions.commit(taskId, contentId(bytes));
      expect(await attacker!.api.submissions.uploadArtifact(committed.id, bytes)).toMatchObject({
        status: "accepted",
      });
    }

    // After the deadline two validators each score every submission of both tasks and commit.
    const events: ValidatorEvent[] = [];
    const validators = [v1!, v2!].map(
      (v, i) =>
        new ValidatorDaemon({
          coordinator: coordinator(v),
          backend: engineEvaluationBackend(),
          stateDir: join(root, `validator-${i}`),
          maxArtifactBytes: 1 << 20,
          onEvent: (e) => events.push(e),
        }),
    );
    for (const v of [v1!, v2!]) {
      await until(
        async () => ((await coordinator(v).requestAssignments()).length === 8 ? true : undefined),
        30_000,
        "eight assignments per validator",
      );
    }
    for (const daemon of validators) expect(await daemon.runOnce()).toBe(8);
    expect(events.filter((e) => e.kind === "failed" || e.kind === "refused")).toEqual([]);
    const committed = events.filter((e) => e.kind === "committed");
    expect(committed).toHaveLength(16);
    // A classifier's evidence carries its accuracy next to the log-loss; the misshapen model's the reason.
    const saved = Object.values((await validators[0]!.state()).assignments);
    expect(saved).toContainEqual(
      expect.objectContaining({
        metric: "log-loss",
        evidence: expect.objectContaining({ metric: "log-loss", accuracy: expect.any(Number), rows: 256 }),
      }),
    );
    expect(saved).toContainEqual(
      expect.objectContaining({
        evidence: expect.objectContaining({ metric: "log-loss", unscorable: "ARTIFACT_WRONG_BASE" }),
      }),
    );
    expect(saved).toContainEqual(
      expect.objectContaining({
        evidence: expect.objectContaining({ metric: "rmse", unscorable: "ARTIFACT_MALFORMED" }),
      }),
    );

    // After the end they reveal; the task finalizes with the consensus of the two.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline + 8000 - Date.now() + 300)));
    for (const daemon of validators) expect(await daemon.runOnce()).toBe(8);
    for (const kind of KINDS) {
      await until(
        async () => {
          const status = (await operator.tasks.get(tasks[kind]!)).status;
          return status === "finalized" || status === "closed" ? status : undefined;
        },
        30_000,
        `${kind} task to finalize`,
      );
      const board = await operator.tasks.leaderboard(tasks[kind]!);
      expect(board.map((e) => [e.rank, e.trainer, e.reports])).toEqual([
        [0, bold!.address, 2],
        [1, careful!.address, 2],
        [2, attacker!.address, 2],
      ]);
      expect(board[2]!.consensusScore).toBe(WORST_SCORE_MAGNITUDE);
      // The consensus is the metric itself, as anyone holding the files recomputes it.
      for (const [entry, name] of [
        [board[0]!, "bold"],
        [board[1]!, "careful"],
      ] as const) {
        const artifact = new Uint8Array(
          readFileSync(join(root, `trainer-${name}`, "tasks", String(tasks[kind]), "artifact.safetensors")),
        );
        const local = await scoreTabularSubmission({
          taskType: kind,
          baseModel: files[kind].baseModel,
          artifact,
          validationData: files[kind].hiddenCsv,
          maxArtifactBytes: 1 << 20,
        });
        expect(local.metricName).toBe(kind === "classifier" ? "log-loss" : "rmse");
        expect(entry.consensusScore).toBe(scoreFromMetric(local.metric));
      }
    }
    await until(
      async () => ((await operator.tasks.get(fullTask.id)).status === "validating" ? undefined : true),
      30_000,
      "the lm-full task to finalize",
    );
    const fullBoard = await operator.tasks.leaderboard(fullTask.id);
    expect(fullBoard.map((e) => e.reports)).toEqual([2, 2]);
    for (const entry of fullBoard) {
      const name = entry.trainer === bold!.address ? "bold" : "careful";
      const artifact = new Uint8Array(
        readFileSync(join(root, `trainer-${name}`, "tasks", String(fullTask.id), "artifact.safetensors")),
      );
      const local = await scoreFullSubmission({
        baseModel: decoder,
        artifact,
        validationData: chats.hidden,
        contextLength: 48,
        maxArtifactBytes: 1 << 22,
      });
      expect(local.kind).toBe("scored");
      expect(entry.consensusScore).toBe(scoreFromMetric(local.bpc));
    }
    expect(fullBoard[0]!.consensusScore! <= fullBoard[1]!.consensusScore!).toBe(true);
  }, 90_000);
});
