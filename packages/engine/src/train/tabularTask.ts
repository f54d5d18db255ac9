import type { Tensor } from "../graph/graph.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { type TabularMlpConfig, tabularMlpForward } from "../nn/tabularMlp.ts";
import type { TrainingTask } from "./trainingTask.ts";

/** A batch of tabular rows: features row-major [rows, features] and labels (int) or targets (float). */
export interface TabularBatch {
  x: Float32Array;
  y: Int32Array | Float32Array;
}

/** Cut rows into full batches of `batchSize` (the remainder is dropped: a compiled step has a fixed shape). */
export function tabularBatches(
  split: { rows: number; x: Float32Array; y: Int32Array | Float32Array },
  numFeatures: number,
  batchSize: number,
): TabularBatch[] {
  const batches: TabularBatch[] = [];
  for (let start = 0; start + batchSize <= split.rows; start += batchSize) {
    batches.push({
      x: split.x.subarray(start * numFeatures, (start + batchSize) * numFeatures),
      y: split.y.subarray(start, start + batchSize),
    });
  }
  return batches;
}

/** Loss of an MLP on a batch: mean cross-entropy (classifier) or mean squared error (regressor). */
export function tabularLoss(
  config: TabularMlpConfig,
  weights: ReadonlyMap<string, Tensor>,
  x: Tensor,
  y: Tensor,
): Tensor {
  const out = tabularMlpForward(config, weights, x);
  if (config.kind === "classifier") return out.crossEntropy(y).mean();
  return out.reshape([-1]).sub(y).square().mean();
}

/** Training task of a tabular MLP (every weight trainable). */
export function tabularTask(
  config: TabularMlpConfig,
  params: ParameterSet,
  batchSize: number,
): TrainingTask<TabularBatch> {
  const labelType = config.kind === "classifier" ? "int32" : "float32";
  return {
    name: `tabular-${config.kind}`,
    trainable: params,
    frozen: new Map(),
    dataInputs: [
      { name: "features", dtype: "float32", shape: [batchSize, config.numFeatures] },
      { name: "labels", dtype: labelType, shape: [batchSize] },
    ],
    buildLoss: (weights, data) => ({ loss: tabularLoss(config, weights, data.features!, data.labels!) }),
    fill(batch, buffers) {
      (buffers.features as Float32Array).set(batch.x);
      (buffers.labels as Int32Array | Float32Array).set(batch.y);
    },
  };
}
