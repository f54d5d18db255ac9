import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { generateClassificationDataset, generateRegressionDataset } from "../datasets/tabular.ts";
import { initTabularMlp, type TabularMlpConfig } from "../nn/tabularMlp.ts";
import { adamw } from "../optim/adamw.ts";
import { runTraining } from "../train/runTraining.ts";
import { tabularBatches, tabularTask } from "../train/tabularTask.ts";
import { Trainer } from "../train/trainer.ts";
import { evaluateClassifier, evaluateRegressor } from "./evaluateTabular.ts";

describe("tabular MLPs", () => {
  it("a classifier reaches ≥ 85% test accuracy on the generated 3-class dataset (Bayes rate 95%)", async () => {
    const data = generateClassificationDataset({ seed: 1, trainRows: 4096, testRows: 1000 });
    const config: TabularMlpConfig = {
      kind: "classifier",
      numFeatures: data.numFeatures,
      numClasses: 3,
      hidden: [64, 64],
    };
    const params = initTabularMlp(config, createRng(2));
    const before = await evaluateClassifier(config, params, data.test);
    const trainer = await Trainer.create(tabularTask(config, params, 64), {
      optimizer: adamw(),
      schedule: { peak: 1e-2, warmupSteps: 20, totalSteps: 900 },
    });
    await runTraining({
      trainer,
      items: tabularBatches(data.train, data.numFeatures, 64),
      totalSteps: 900,
      seed: 3,
    });
    const after = await evaluateClassifier(config, trainer.parameters(), data.test);
    await trainer.release();
    expect(before.accuracy).toBeLessThan(0.6);
    expect(after.accuracy).toBeGreaterThanOrEqual(0.85);
    expect(after.logLoss).toBeLessThan(before.logLoss);
  });

  it("a regressor brings test RMSE close to the noise floor", async () => {
    const data = generateRegressionDataset({ seed: 4, trainRows: 4096, testRows: 1000 });
    const config: TabularMlpConfig = {
      kind: "regressor",
      numFeatures: data.numFeatures,
      hidden: [64, 64],
      activation: "gelu",
    };
    const params = initTabularMlp(config, createRng(5));
    const trainer = await Trainer.create(tabularTask(config, params, 64), {
      schedule: { peak: 5e-3, totalSteps: 900 },
    });
    await runTraining({
      trainer,
      items: tabularBatches(data.train, data.numFeatures, 64),
      totalSteps: 900,
      seed: 6,
    });
    const { rmse } = await evaluateRegressor(config, trainer.parameters(), data.test);
    await trainer.release();
    expect(rmse).toBeLessThan(3 * data.bestRmse);
  });
});
