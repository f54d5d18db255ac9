import {
  createRng,
  formatTabularCsv,
  generateClassificationDataset,
  generateRegressionDataset,
  initTabularMlp,
  TABULAR_FEATURES,
  type TabularModelSpec,
  writeTabularModel,
} from "@flock/engine";

/** The engine's generated tabular data as a task's files: a base MLP, a training CSV and a hidden CSV. */
export interface TabularTaskFiles {
  spec: TabularModelSpec;
  baseModel: Uint8Array;
  trainingCsv: string;
  hiddenCsv: string;
}

const FEATURES = Array.from({ length: TABULAR_FEATURES }, (_, i) => `x${i}`);

/**
 * A small classifier (3 classes) or regressor task on the engine's generated data (6 standard-normal
 * features with a known rule), with a fresh seeded base MLP of one hidden layer: trains in seconds.
 */
export function tinyTabularTask(
  kind: "classifier" | "regressor",
  options: { seed?: number; trainRows?: number; hiddenRows?: number; hidden?: number } = {},
): TabularTaskFiles {
  const seed = options.seed ?? 1;
  const rows = { seed, trainRows: options.trainRows ?? 512, testRows: options.hiddenRows ?? 256 };
  const spec: TabularModelSpec = {
    config:
      kind === "classifier"
        ? { kind, numFeatures: TABULAR_FEATURES, numClasses: 3, hidden: [options.hidden ?? 16] }
        : { kind, numFeatures: TABULAR_FEATURES, hidden: [options.hidden ?? 16] },
    features: FEATURES,
    label: kind === "classifier" ? "class" : "target",
  };
  const data = kind === "classifier" ? generateClassificationDataset(rows) : generateRegressionDataset(rows);
  const csv = (split: { rows: number; x: Float32Array; y: Int32Array | Float32Array }) =>
    formatTabularCsv({ ...split, numFeatures: TABULAR_FEATURES, features: spec.features, label: spec.label });
  return {
    spec,
    baseModel: writeTabularModel(spec, initTabularMlp(spec.config, createRng(seed))),
    trainingCsv: csv(data.train),
    hiddenCsv: csv(data.test),
  };
}
