import { ValidationError } from "@flock/core";
import { createRng, mixSeed, type Rng } from "../data/random.ts";

/**
 * Generated tabular tasks with a known rule, so classifier and regressor tasks (SPEC §2.1) have real data
 * and a known ceiling. Features are independent standard normals; two of the six are pure distractors.
 */

/** Rows of features (row-major, `rows × numFeatures`) and their targets. */
export interface TabularSplit<Y extends Int32Array | Float32Array> {
  rows: number;
  x: Float32Array;
  y: Y;
}

export interface ClassificationDataset {
  numFeatures: number;
  numClasses: number;
  train: TabularSplit<Int32Array>;
  test: TabularSplit<Int32Array>;
  /** Probability that a label was replaced by one of the other classes. */
  labelNoise: number;
  /** Best expected accuracy of any classifier on these labels: 1 − labelNoise (the Bayes rate). */
  bayesAccuracy: number;
}

export interface RegressionDataset {
  numFeatures: number;
  train: TabularSplit<Float32Array>;
  test: TabularSplit<Float32Array>;
  /** Standard deviation of the Gaussian noise added to the targets. */
  noiseStd: number;
  /** Best expected RMSE of any regressor: the noise standard deviation. */
  bestRmse: number;
}

export interface TabularOptions {
  seed: number;
  trainRows?: number;
  testRows?: number;
}

export const TABULAR_FEATURES = 6;

/** x0² + x1² < 2 ln 1.5 has probability exactly 1/3 for independent standard normals (χ² with 2 dof). */
const INNER_RADIUS_SQ = 2 * Math.log(1.5);

/**
 * The noiseless 3-class rule: class 0 inside a circle in (x0, x1); outside it, class 1 where x2·x3 > 0 and
 * class 2 otherwise (an XOR, so no linear model can fit it). Each class has probability 1/3; x4, x5 are noise.
 */
export function classifyByRule(features: ArrayLike<number>): number {
  const x0 = features[0]!;
  const x1 = features[1]!;
  if (x0 * x0 + x1 * x1 < INNER_RADIUS_SQ) return 0;
  return features[2]! * features[3]! > 0 ? 1 : 2;
}

/** The noiseless regression target: y = 2 sin(x0) + x1·x2 + 0.5 x3² − x4 (x5 is noise). */
export function regressionTarget(features: ArrayLike<number>): number {
  return 2 * Math.sin(features[0]!) + features[1]! * features[2]! + 0.5 * features[3]! ** 2 - features[4]!;
}

function checkRows(name: string, rows: number): void {
  if (!Number.isSafeInteger(rows) || rows < 1) {
    throw new ValidationError("TABULAR_INVALID_ROWS", `${name} ${rows} is not a positive integer`, {
      hint: `pass ${name} as a whole number ≥ 1`,
    });
  }
}

function features(rng: Rng, rows: number): Float32Array {
  const x = new Float32Array(rows * TABULAR_FEATURES);
  for (let i = 0; i < x.length; i++) x[i] = rng.nextNormal();
  return x;
}

function classificationSplit(rng: Rng, rows: number, labelNoise: number): TabularSplit<Int32Array> {
  const x = features(rng, rows);
  const y = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const label = classifyByRule(x.subarray(r * TABULAR_FEATURES, (r + 1) * TABULAR_FEATURES));
    // With probability p the label moves to one of the two other classes, uniformly.
    y[r] = rng.next() < labelNoise ? (label + 1 + rng.nextInt(2)) % 3 : label;
  }
  return { rows, x, y };
}

/**
 * The 3-class, 6-feature classification dataset with `labelNoise` (default 0.05, so Bayes accuracy 0.95).
 * With the defaults (8000 train rows) a 6-64-3 ReLU MLP trained with Adam reaches about 0.89 test accuracy.
 */
export function generateClassificationDataset(
  options: TabularOptions & { labelNoise?: number },
): ClassificationDataset {
  const trainRows = options.trainRows ?? 8000;
  const testRows = options.testRows ?? 2000;
  const labelNoise = options.labelNoise ?? 0.05;
  checkRows("trainRows", trainRows);
  checkRows("testRows", testRows);
  if (!(labelNoise >= 0 && labelNoise < 2 / 3)) {
    throw new ValidationError("TABULAR_INVALID_NOISE", `labelNoise ${labelNoise} must be in [0, 2/3)`, {
      hint: "above 2/3 the noisy labels no longer follow the rule at all",
    });
  }
  return {
    numFeatures: TABULAR_FEATURES,
    numClasses: 3,
    train: classificationSplit(createRng(mixSeed(options.seed, 1)), trainRows, labelNoise),
    test: classificationSplit(createRng(mixSeed(options.seed, 2)), testRows, labelNoise),
    labelNoise,
    bayesAccuracy: 1 - labelNoise,
  };
}

function regressionSplit(rng: Rng, rows: number, noiseStd: number): TabularSplit<Float32Array> {
  const x = features(rng, rows);
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    y[r] =
      regressionTarget(x.subarray(r * TABULAR_FEATURES, (r + 1) * TABULAR_FEATURES)) +
      noiseStd * rng.nextNormal();
  }
  return { rows, x, y };
}

/** The 6-feature regression dataset with Gaussian noise (default σ = 0.3, so the best RMSE is 0.3); 8000 train rows. */
export function generateRegressionDataset(
  options: TabularOptions & { noiseStd?: number },
): RegressionDataset {
  const trainRows = options.trainRows ?? 8000;
  const testRows = options.testRows ?? 2000;
  const noiseStd = options.noiseStd ?? 0.3;
  checkRows("trainRows", trainRows);
  checkRows("testRows", testRows);
  if (!(noiseStd >= 0)) {
    throw new ValidationError("TABULAR_INVALID_NOISE", `noiseStd ${noiseStd} must be ≥ 0`, {
      hint: "pass a non-negative standard deviation",
    });
  }
  return {
    numFeatures: TABULAR_FEATURES,
    train: regressionSplit(createRng(mixSeed(options.seed, 3)), trainRows, noiseStd),
    test: regressionSplit(createRng(mixSeed(options.seed, 4)), testRows, noiseStd),
    noiseStd,
    bestRmse: noiseStd,
  };
}
