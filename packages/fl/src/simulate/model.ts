import { ValidationError } from "@flock/core";
import { createRng, initTabularMlp, type TabularMlpConfig, tabularMlpShapes } from "@flock/engine";
import type { Arrays } from "../arrays.ts";
import type { ClassificationData, DatasetName } from "./datasets.ts";

/** The model a simulation trains: an MLP over a shipped dataset (no hidden layer: softmax regression). */
export interface ModelSpec {
  readonly dataset: DatasetName;
  /** Hidden layer widths (default [32]: the 64→32→10 MLP on digits). */
  readonly hidden?: readonly number[];
}

/** The engine's MLP config for a model over a dataset. */
export function modelConfig(
  data: Pick<ClassificationData, "numFeatures" | "numClasses">,
  hidden: readonly number[],
): TabularMlpConfig {
  for (const h of hidden) {
    if (!Number.isSafeInteger(h) || h < 1) {
      throw new ValidationError("FL_OPTION_INVALID", `a hidden layer of width ${h}`, {
        hint: "give whole widths ≥ 1, or no hidden layer for softmax regression",
      });
    }
  }
  return {
    kind: "classifier",
    numFeatures: data.numFeatures,
    numClasses: data.numClasses,
    hidden: [...hidden],
  };
}

/** The model's parameter names and shapes, in the order of every flat vector the simulator exchanges. */
export function modelShapes(config: TabularMlpConfig): Map<string, number[]> {
  return tabularMlpShapes(config);
}

/** He-initialized arrays of the model (seeded), in `modelShapes` order. */
export function initialArrays(config: TabularMlpConfig, seed: number): Arrays {
  return initTabularMlp(config, createRng(seed));
}

/** Arrays as one flat vector in `modelShapes` order (a new buffer). */
export function flattenModel(config: TabularMlpConfig, arrays: Arrays): Float32Array {
  const shapes = modelShapes(config);
  let size = 0;
  for (const shape of shapes.values()) size += shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  let offset = 0;
  for (const [name, shape] of shapes) {
    const p = arrays.get(name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (!p || p.data.length !== n) {
      throw new ValidationError("FL_ARRAYS_MISMATCH", `the model has no array ${name} of ${n} values`, {
        hint: "send the arrays of the simulated model",
      });
    }
    out.set(p.data, offset);
    offset += n;
  }
  return out;
}

/** A flat vector back into named arrays (views on `flat`, no copy), in `modelShapes` order. */
export function unflattenModel(
  config: TabularMlpConfig,
  flat: Float32Array,
): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const [name, shape] of modelShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape, data: flat.subarray(offset, offset + n) });
    offset += n;
  }
  if (offset !== flat.length) {
    throw new ValidationError(
      "FL_ARRAYS_MISMATCH",
      `a vector of ${flat.length} values for a model of ${offset}`,
    );
  }
  return out;
}
