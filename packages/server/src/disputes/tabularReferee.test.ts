import { contentId } from "@flock/core";
import {
  createRng,
  formatTabularCsv,
  generateRegressionDataset,
  initTabularMlp,
  scoreTabularSubmission,
  type TabularModelSpec,
  writeTabularModel,
} from "@flock/engine";
import { scoreOrWorst, WORST_SCORE_MAGNITUDE } from "@flock/protocol";
import { describe, expect, it } from "vitest";
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

describe("the referee re-runs tabular evaluations", () => {
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

  it("still refuses to referee lm-full, which no task can be", async () => {
    await expect(
      engineSubmissionEvaluator().evaluate({ ...input(baseModel), taskType: "lm-full" }),
    ).rejects.toMatchObject({ code: "NOT_IMPLEMENTED" });
  });
});
