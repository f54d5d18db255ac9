import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { formatTabularCsv } from "../data/tabularCsv.ts";
import { generateClassificationDataset, generateRegressionDataset } from "../datasets/tabular.ts";
import { writeSafetensors } from "../io/safetensors.ts";
import { type TabularModelSpec, writeTabularModel } from "../io/tabularModelFile.ts";
import { initTabularMlp } from "../nn/tabularMlp.ts";
import { evaluateClassifier } from "./evaluateTabular.ts";
import { scoreTabularSubmission, tabularSubmissionByteLimit } from "./scoreTabularSubmission.ts";

const features = ["f0", "f1", "f2", "f3", "f4", "f5"];
const classifierSpec: TabularModelSpec = {
  config: { kind: "classifier", numFeatures: 6, numClasses: 3, hidden: [8] },
  features,
  label: "y",
};
const data = generateClassificationDataset({ seed: 1, trainRows: 8, testRows: 64 });
const hiddenCsv = formatTabularCsv({ ...data.test, numFeatures: 6, features, label: "y" });
const base = writeTabularModel(classifierSpec, initTabularMlp(classifierSpec.config, createRng(1)));

function score(artifact: Uint8Array, maxArtifactBytes = 1_000_000) {
  return scoreTabularSubmission({
    taskType: "classifier",
    baseModel: base,
    artifact,
    validationData: hiddenCsv,
    maxArtifactBytes,
  });
}

describe("scoreTabularSubmission", () => {
  it("scores a classifier by its log-loss on the hidden CSV, with accuracy, as evaluateClassifier does", async () => {
    const params = initTabularMlp(classifierSpec.config, createRng(2));
    const result = await score(writeTabularModel(classifierSpec, params));
    const direct = await evaluateClassifier(classifierSpec.config, params, data.test);
    expect(result).toEqual({
      kind: "scored",
      metricName: "log-loss",
      metric: direct.logLoss,
      accuracy: direct.accuracy,
      rows: 64,
    });
  });

  it("scores a regressor by RMSE", async () => {
    const spec: TabularModelSpec = {
      config: { kind: "regressor", numFeatures: 6, hidden: [4] },
      features,
      label: "t",
    };
    const reg = generateRegressionDataset({ seed: 3, trainRows: 8, testRows: 16 });
    const model = writeTabularModel(spec, initTabularMlp(spec.config, createRng(3)));
    const result = await scoreTabularSubmission({
      taskType: "regressor",
      baseModel: model,
      artifact: model,
      validationData: formatTabularCsv({ ...reg.test, numFeatures: 6, features, label: "t" }),
      maxArtifactBytes: 1_000_000,
    });
    expect(result).toMatchObject({ kind: "scored", metricName: "rmse", rows: 16 });
    expect(result.metric).toBeGreaterThan(0);
    expect(result.metric).toBeLessThan(Number.POSITIVE_INFINITY);
  });

  it("the size limit is the base model's weights plus twice its header and 4 KiB", () => {
    const header = base.length - 4 * (8 * 6 + 8 + 3 * 8 + 3);
    expect(tabularSubmissionByteLimit(base)).toBe(4 * (8 * 6 + 8 + 3 * 8 + 3) + 2 * header + 4096);
  });

  it("scores +∞ with the reason: oversize, not a model, another shape or columns, NaN weights", async () => {
    const bigger = writeTabularModel(
      { ...classifierSpec, config: { ...classifierSpec.config, hidden: [512] } },
      initTabularMlp({ ...classifierSpec.config, hidden: [512] }, createRng(1)),
    );
    expect(await score(bigger)).toMatchObject({ kind: "unscorable", code: "ARTIFACT_TOO_LARGE" });
    expect(await score(base, 100)).toMatchObject({ kind: "unscorable", code: "ARTIFACT_TOO_LARGE" });
    expect(await score(new TextEncoder().encode("f0,y\n1,0\n"))).toMatchObject({
      kind: "unscorable",
      code: "ARTIFACT_MALFORMED",
    });
    expect(await score(writeSafetensors({}, { format: "pt" }))).toMatchObject({ code: "ARTIFACT_MALFORMED" });
    const wider = { ...classifierSpec.config, hidden: [9] };
    expect(
      await score(
        writeTabularModel({ ...classifierSpec, config: wider }, initTabularMlp(wider, createRng(1))),
      ),
    ).toMatchObject({ kind: "unscorable", code: "ARTIFACT_WRONG_BASE", metric: Number.POSITIVE_INFINITY });
    const renamed = { ...classifierSpec, features: ["a", "b", "c", "d", "e", "f"] };
    expect(
      await score(writeTabularModel(renamed, initTabularMlp(classifierSpec.config, createRng(1)))),
    ).toMatchObject({ code: "ARTIFACT_WRONG_BASE" });
    const nan = initTabularMlp(classifierSpec.config, createRng(1));
    nan.get("layers.0.weight")!.data[0] = Number.NaN;
    expect(await score(writeTabularModel(classifierSpec, nan))).toMatchObject({
      code: "ARTIFACT_NOT_FINITE",
    });
  });

  it("throws when the task is at fault: a base model of the other kind, a hidden CSV without the columns", async () => {
    await expect(
      scoreTabularSubmission({
        taskType: "regressor",
        baseModel: base,
        artifact: base,
        validationData: hiddenCsv,
        maxArtifactBytes: 1_000_000,
      }),
    ).rejects.toMatchObject({ code: "TABULAR_BASE_KIND_MISMATCH" });
    await expect(
      scoreTabularSubmission({
        taskType: "classifier",
        baseModel: base,
        artifact: base,
        validationData: "a,b\n1,2\n",
        maxArtifactBytes: 1_000_000,
      }),
    ).rejects.toMatchObject({ code: "CSV_LABEL_MISSING" });
  });
});
