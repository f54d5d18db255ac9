import { contentId } from "@flock/core";
import {
  countParameters,
  createRng,
  decodeBaseModel,
  encodeBaseModel,
  formatTabularCsv,
  generateClassificationDataset,
  initLlamaParameters,
  initTabularMlp,
  llamaConfig,
  type TabularModelSpec,
  tabularSubmissionByteLimit,
  writeTabularModel,
} from "@flock/engine";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const creator = operatorAccount;
const trainer = privateKeyToAccount(generatePrivateKey());
const T0 = new Date("2026-03-01T00:00:00.000Z");
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);
const MIN_STAKE = 3000n * 10n ** 18n;

const features = ["f0", "f1", "f2", "f3", "f4", "f5"];
const spec: TabularModelSpec = {
  config: { kind: "classifier", numFeatures: 6, numClasses: 3, hidden: [8] },
  features,
  label: "label",
};
const baseModel = writeTabularModel(spec, initTabularMlp(spec.config, createRng(1)));
const PARAMS = 6 * 8 + 8 + 8 * 3 + 3;
const data = generateClassificationDataset({ seed: 2, trainRows: 32, testRows: 8 });
const trainingCsv = formatTabularCsv({ ...data.train, numFeatures: 6, features, label: "label" });

let hiddenSets = 0;
function body(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  hiddenSets += 1;
  return {
    title: "Tabular",
    description: "an MLP classifier",
    type: "classifier",
    baseModel: contentId(baseModel),
    contextLength: 1,
    maxTrainableParams: PARAMS,
    trainingSetId: contentId(trainingCsv),
    validationCommitment: contentId(`hidden ${hiddenSets}`),
    submissionDeadline: minutes(60).toISOString(),
    endTime: minutes(120).toISOString(),
    rewardWeight: "1",
    minStake: MIN_STAKE.toString(),
    minLockDays: 0,
    ...overrides,
  };
}

describe("task types at creation and upload", () => {
  const clock = manualClock(T0);
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ clock });
    await t.publish(baseModel);
    await t.publish(trainingCsv);
    await t.publish("not a model");
    await t.publish("a,b\n1,2\n");
  });
  afterAll(() => t.dispose());

  it("a classifier task with a tabular base model and a CSV training set opens", async () => {
    const created = await t.signed(creator, "POST", "/tasks", body());
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ type: "classifier", status: "open" });
  });

  it("an lm-full task needs a decoder base model whose context and parameters fit the task", async () => {
    const config = llamaConfig({
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      vocabSize: 261,
      maxPositions: 64,
    });
    const decoder = encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) });
    const parameters = countParameters(decodeBaseModel(decoder).params);
    await t.publish(decoder);
    const full = (overrides: Record<string, unknown>) =>
      body({
        type: "lm-full",
        baseModel: contentId(decoder),
        contextLength: 48,
        maxTrainableParams: parameters,
        ...overrides,
      });
    const created = await t.signed(creator, "POST", "/tasks", full({}));
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ type: "lm-full", status: "open" });
    for (const [overrides, code] of [
      [{ baseModel: contentId(baseModel) }, "TASK_BASE_MODEL_INVALID"],
      [{ contextLength: 65 }, "TASK_CONTEXT_TOO_LONG"],
      [{ maxTrainableParams: parameters - 1 }, "TASK_MAX_PARAMS_TOO_LOW"],
    ] as const) {
      const refused = await t.signed(creator, "POST", "/tasks", full(overrides));
      expect(refused.statusCode, code).toBe(400);
      expect(refused.json().code).toBe(code);
    }
  });

  it("refuses a base model that is not a tabular model, one of the other kind, too few parameters, a CSV without the columns", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ baseModel: contentId("not a model") }, "TASK_BASE_MODEL_INVALID", /not a tabular model file/],
      [{ type: "regressor" }, "TASK_BASE_MODEL_INVALID", /is a classifier, the task is a regressor/],
      [{ maxTrainableParams: PARAMS - 1 }, "TASK_MAX_PARAMS_TOO_LOW", /has 83 parameters/],
      [
        { trainingSetId: contentId("a,b\n1,2\n") },
        "TASK_DATA_INVALID",
        /does not fit the base model's columns/,
      ],
    ];
    for (const [overrides, code, message] of cases) {
      const response = await t.signed(creator, "POST", "/tasks", body(overrides));
      expect(response.statusCode, code).toBe(400);
      expect(response.json()).toMatchObject({ code, message: expect.stringMatching(message) });
      expect(response.json().hint).toBeTruthy();
    }
  });

  it("refuses a tabular upload over the task's limit with 413 SUBMISSION_TOO_LARGE, and takes one of the base model's shape", async () => {
    const task = (await t.signed(creator, "POST", "/tasks", body())).json();
    await t.indexStake(task.id, trainer.address, "trainer", MIN_STAKE);
    const limit = tabularSubmissionByteLimit(baseModel);
    const wide = { ...spec.config, hidden: [512] };
    const oversize = writeTabularModel({ ...spec, config: wide }, initTabularMlp(wide, createRng(3)));
    expect(oversize.length).toBeGreaterThan(limit);
    const commit = await t.signed(trainer, "POST", `/tasks/${task.id}/submissions`, {
      commitHash: contentId(oversize),
    });
    expect(commit.statusCode).toBe(201);
    const refused = await t.upload(trainer, `/submissions/${commit.json().id}/artifact`, oversize);
    expect(refused.statusCode).toBe(413);
    expect(refused.json()).toMatchObject({
      code: "SUBMISSION_TOO_LARGE",
      details: { taskId: task.id, type: "classifier", maxBytes: limit },
    });
    expect(refused.json().hint).toMatch(/base model's config and columns/);

    const trained = writeTabularModel(spec, initTabularMlp(spec.config, createRng(4)));
    const second = await t.signed(trainer, "POST", `/tasks/${task.id}/submissions`, {
      commitHash: contentId(trained),
    });
    const accepted = await t.upload(trainer, `/submissions/${second.json().id}/artifact`, trained);
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ status: "accepted", artifactSize: trained.length });
  });
});
