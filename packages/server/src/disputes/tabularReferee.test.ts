import { contentId } from "@flock/core";
import {
  createRng,
  encodeBaseModel,
  formatShareGpt,
  formatTabularCsv,
  generateClassificationDataset,
  generateInstructionDataset,
  generateRegressionDataset,
  initLlamaParameters,
  initTabularMlp,
  llamaConfig,
  scoreFullSubmission,
  scoreTabularSubmission,
  type TabularModelSpec,
  writeTabularModel,
} from "@flock/engine";
import { scoreFromMetric, scoreOrWorst, WORST_SCORE_MAGNITUDE } from "@flock/protocol";
import { afterAll, describe, expect, it } from "vitest";
import { scoredTask } from "../testing/disputeScenario.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { revealAndFinalize } from "../testing/scoreReveal.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { engineSubmissionEvaluator } from "./engineSubmissionEvaluator.ts";
import type { EvaluationInput } from "./submissionEvaluator.ts";

const features = ["a", "b", "c", "d", "e", "f"];
const spec: TabularModelSpec = {
  config: { kind: "regressor", numFeatures: 6, hidden: [4] },
  features,
  label: "y",
};
const baseModel = writeTabularModel(spec, initTabularMlp(spec.config, createRng(1)));
const data = generateRegressionDataset({ seed: 5, trainRows: 4, testRows: 32 });
const hidden = formatTabularCsv({ ...data.test, numFeatures: 6, features, label: "y" });

function input(artifact: Uint8Array): EvaluationInput {
  return {
    taskType: "regressor",
    baseModelId: contentId(baseModel),
    baseModel,
    artifact,
    validationSet: new TextEncoder().encode(hidden),
    contextLength: 1,
    maxTrainableParams: 1000,
    maxArtifactBytes: 1 << 20,
  };
}

describe("the referee re-runs tabular and full fine-tune evaluations", () => {
  it("gives the validators' RMSE to the bit (engine's scoreTabularSubmission) for a regressor", async () => {
    const artifact = writeTabularModel(spec, initTabularMlp(spec.config, createRng(2)));
    const validator = await scoreTabularSubmission({
      taskType: "regressor",
      baseModel,
      artifact,
      validationData: hidden,
      maxArtifactBytes: 1 << 20,
    });
    const { metric } = await engineSubmissionEvaluator().evaluate(input(artifact));
    expect(validator.kind).toBe("scored");
    expect(Object.is(metric, validator.metric)).toBe(true);
  });

  it("scores a submission of another shape +∞, the worst score", async () => {
    const other = { ...spec.config, hidden: [5] };
    const artifact = writeTabularModel({ ...spec, config: other }, initTabularMlp(other, createRng(2)));
    const { metric } = await engineSubmissionEvaluator().evaluate(input(artifact));
    expect(metric).toBe(Number.POSITIVE_INFINITY);
    expect(scoreOrWorst(metric, "lower-is-better")).toBe(WORST_SCORE_MAGNITUDE);
  });

  it("re-runs a full fine-tune (lm-full) to the validators' BPC, and scores one of another config +∞", async () => {
    const config = llamaConfig({
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      vocabSize: 261,
      maxPositions: 64,
    });
    const base = encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) });
    const tuned = encodeBaseModel({ config, params: initLlamaParameters(config, createRng(2)) });
    const chats = formatShareGpt(
      generateInstructionDataset({ seed: 3, count: 4 }).map((e) => e.conversation),
    );
    const full = (artifact: Uint8Array): EvaluationInput => ({
      taskType: "lm-full",
      baseModelId: contentId(base),
      baseModel: base,
      artifact,
      validationSet: new TextEncoder().encode(chats),
      contextLength: 48,
      maxTrainableParams: 1_000_000,
      maxArtifactBytes: 1 << 22,
    });
    const validator = await scoreFullSubmission({
      baseModel: base,
      artifact: tuned,
      validationData: chats,
      contextLength: 48,
      maxArtifactBytes: 1 << 22,
    });
    const { metric } = await engineSubmissionEvaluator().evaluate(full(tuned));
    expect(validator.kind).toBe("scored");
    expect(Object.is(metric, validator.bpc)).toBe(true);
    const other = llamaConfig({
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 4,
      vocabSize: 261,
      maxPositions: 64,
    });
    const foreign = encodeBaseModel({ config: other, params: initLlamaParameters(other, createRng(2)) });
    expect(await engineSubmissionEvaluator().evaluate(full(foreign))).toEqual({ metric: Infinity });
  });
});

describe("a classifier task's false log-loss, end to end in the coordinator (engine referee, recording chain)", () => {
  const WAD = 10n ** 18n;
  const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));
  const chain = createRecordingChainGateway();
  let t: TestApp;
  afterAll(() => t?.dispose());

  it("is proven dishonest by the re-run and slashed; honest validators are not", async () => {
    const cSpec: TabularModelSpec = {
      config: { kind: "classifier", numFeatures: 6, numClasses: 3, hidden: [4] },
      features,
      label: "class",
    };
    const data = generateClassificationDataset({ seed: 9, trainRows: 16, testRows: 32 });
    const csv = (split: { rows: number; x: Float32Array; y: Int32Array }) =>
      formatTabularCsv({ ...split, numFeatures: 6, features, label: "class" });
    const base = writeTabularModel(cSpec, initTabularMlp(cSpec.config, createRng(1)));
    const hiddenCsv = csv(data.test);
    const artifacts = [2, 3].map((seed) =>
      writeTabularModel(cSpec, initTabularMlp(cSpec.config, createRng(seed))),
    );
    const honest: bigint[] = [];
    for (const artifact of artifacts) {
      const r = await scoreTabularSubmission({
        taskType: "classifier",
        baseModel: base,
        artifact,
        validationData: hiddenCsv,
        maxArtifactBytes: 1 << 20,
      });
      honest.push(scoreFromMetric(r.metric));
    }
    t = await startTestApp({ clock, chain });
    const task = await scoredTask(t, clock, {
      type: "classifier",
      baseModel: base,
      trainingSet: new TextEncoder().encode(csv(data.train)),
      hiddenSet: new TextEncoder().encode(hiddenCsv),
      artifacts,
      validatorStakes: [3000n * WAD, 4000n * WAD, 5000n * WAD],
      // Validator 1 claims the second model's log-loss is 0.1 nats lower than it is.
      scoreOf: (v, trainer) => (v === 1 && trainer === 1 ? honest[1]! - WAD / 10n : honest[trainer]!),
    });
    await revealAndFinalize(t, clock, task.endTime, task.pending);
    await t.app.scheduler.runDue(); // the referee's re-run
    const [dispute] = await t.repos.jobs.list({ kind: "score.dispute" });
    const outcome = (await t.app.http.inject({ method: "GET", url: `/disputes/${dispute!.id}` })).json();
    expect(outcome).toMatchObject({
      status: "decided",
      verdict: "dishonest",
      validator: task.validators[1]!.address.toLowerCase(),
      submissionId: task.submissions[1],
      rerunScore: honest[1]!.toString(),
      consensus: honest[1]!.toString(),
    });
    expect(chain.slashed.map((s) => s.account)).toEqual([task.validators[1]!.address.toLowerCase()]);
  });
});
