import { readFileSync } from "node:fs";
import { ValidationError } from "@flock/core";

/** Labelled rows: features row-major (`rows × numFeatures`, normalized) and integer class labels. */
export interface LabelledSplit {
  readonly rows: number;
  readonly x: Float32Array;
  readonly y: Int32Array;
}

/** A shipped classification dataset with its fixed train/test split (see packages/fl/data/README.md). */
export interface ClassificationData {
  readonly name: DatasetName;
  readonly numFeatures: number;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  readonly train: LabelledSplit;
  readonly test: LabelledSplit;
}

/** The datasets shipped in packages/fl/data. */
export const DATASET_NAMES = ["digits", "breast-cancer"] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** The JSON description written next to each binary file by scripts/convert-sklearn-data.py. */
interface DatasetFile {
  rows: number;
  numFeatures: number;
  numClasses: number;
  classNames: string[];
  layout: {
    features: { dtype: "uint8" | "float32le"; offset: number };
    labels: { dtype: "uint8"; offset: number };
  };
  split: { test: number[] };
}

const DATA_DIR = new URL("../../data/", import.meta.url);
const cache = new Map<DatasetName, ClassificationData>();

/**
 * The UCI handwritten digits (1797 8×8 images, 10 classes) with pixels scaled from 0–16 to [0, 1]:
 * 1438 training and 359 test rows.
 */
export function loadDigits(): ClassificationData {
  return loadDataset("digits");
}

/**
 * The UCI Breast Cancer Wisconsin (Diagnostic) data (569 rows, 30 features, 0 malignant / 1 benign), each
 * feature standardized with the training split's mean and standard deviation: 456 training and 113 test
 * rows.
 */
export function loadBreastCancer(): ClassificationData {
  return loadDataset("breast-cancer");
}

/** A shipped dataset by name (read once per process, then shared: treat the arrays as read-only). */
export function loadDataset(name: DatasetName): ClassificationData {
  const cached = cache.get(name);
  if (cached) return cached;
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new ValidationError("FL_DATASET_UNKNOWN", `no shipped dataset named ${name}`, {
      hint: `choose one of ${DATASET_NAMES.join(", ")}`,
    });
  }
  const meta = JSON.parse(readFileSync(new URL(`${name}.json`, DATA_DIR), "utf8")) as DatasetFile;
  const bytes = readFileSync(new URL(`${name}.bin`, DATA_DIR));
  const { rows, numFeatures } = meta;
  const size = rows * numFeatures;
  const features = new Float32Array(size);
  const { features: f, labels: l } = meta.layout;
  if (f.dtype === "uint8") {
    for (let i = 0; i < size; i++) features[i] = bytes[f.offset + i]!;
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < size; i++) features[i] = view.getFloat32(f.offset + 4 * i, true);
  }
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) labels[i] = bytes[l.offset + i]!;
  if (bytes.length !== l.offset + rows) {
    throw new ValidationError("FL_DATASET_CORRUPT", `${name}.bin has ${bytes.length} bytes`, {
      hint: "restore packages/fl/data from the repository (see its README for the sha256 of each file)",
    });
  }
  const isTest = new Uint8Array(rows);
  for (const r of meta.split.test) isTest[r] = 1;
  const pick = (test: boolean): LabelledSplit => {
    const chosen: number[] = [];
    for (let r = 0; r < rows; r++) if ((isTest[r] === 1) === test) chosen.push(r);
    const x = new Float32Array(chosen.length * numFeatures);
    const y = new Int32Array(chosen.length);
    chosen.forEach((r, k) => {
      x.set(features.subarray(r * numFeatures, (r + 1) * numFeatures), k * numFeatures);
      y[k] = labels[r]!;
    });
    return { rows: chosen.length, x, y };
  };
  const train = pick(false);
  const test = pick(true);
  if (name === "digits") {
    for (const s of [train, test]) for (let i = 0; i < s.x.length; i++) s.x[i]! /= 16;
  } else {
    standardize(train, test, numFeatures);
  }
  const data: ClassificationData = {
    name,
    numFeatures,
    numClasses: meta.numClasses,
    classNames: meta.classNames,
    train,
    test,
  };
  cache.set(name, data);
  return data;
}

/** z-scores with the training split's per-feature mean and (population) standard deviation, in float64. */
function standardize(train: LabelledSplit, test: LabelledSplit, numFeatures: number): void {
  const mean = new Float64Array(numFeatures);
  const sq = new Float64Array(numFeatures);
  for (let r = 0; r < train.rows; r++) {
    for (let j = 0; j < numFeatures; j++) mean[j]! += train.x[r * numFeatures + j]!;
  }
  for (let j = 0; j < numFeatures; j++) mean[j]! /= train.rows;
  for (let r = 0; r < train.rows; r++) {
    for (let j = 0; j < numFeatures; j++) sq[j]! += (train.x[r * numFeatures + j]! - mean[j]!) ** 2;
  }
  const std = Array.from(sq, (s) => Math.sqrt(s / train.rows) || 1);
  for (const split of [train, test]) {
    for (let r = 0; r < split.rows; r++) {
      for (let j = 0; j < numFeatures; j++) {
        const i = r * numFeatures + j;
        split.x[i] = (split.x[i]! - mean[j]!) / std[j]!;
      }
    }
  }
}
