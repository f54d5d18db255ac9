import { createRng, mixSeed, type Parameter, shuffled } from "@flock/engine";
import type { Arrays } from "../../arrays.ts";

/**
 * A small, fast learning task for the contribution tests: multinomial logistic (softmax) regression on
 * Gaussian class clusters generated from a seed, trained by full-batch gradient descent in plain
 * TypeScript. Real models and real FedAvg aggregates, cheap enough to evaluate thousands of coalitions.
 */

/** Labelled examples: `count` rows of `features` values (row-major) and their class labels. */
export interface Labelled {
  readonly features: number;
  readonly classes: number;
  readonly x: Float32Array;
  readonly y: Int32Array;
}

/** A classification task: one Gaussian cluster per class around centres drawn from the task's seed. */
export interface BlobTask {
  readonly features: number;
  readonly classes: number;
  /** `count` examples with uniformly drawn labels, from its own seed. */
  sample(count: number, seed: number): Labelled;
}

/** A task of `classes` clusters in `features` dimensions, centres N(0, separation²) from the seed. */
export function blobTask(
  seed: number,
  options: { features: number; classes: number; separation: number },
): BlobTask {
  const { features, classes, separation } = options;
  const rng = createRng(mixSeed(seed, 1));
  const centres = Float64Array.from({ length: classes * features }, () => separation * rng.nextNormal());
  return {
    features,
    classes,
    sample(count, sampleSeed) {
      const r = createRng(mixSeed(seed, 2, sampleSeed));
      const x = new Float32Array(count * features);
      const y = new Int32Array(count);
      for (let n = 0; n < count; n++) {
        const label = r.nextInt(classes);
        y[n] = label;
        for (let f = 0; f < features; f++)
          x[n * features + f] = centres[label * features + f]! + r.nextNormal();
      }
      return { features, classes, x, y };
    },
  };
}

/** The same examples with their labels permuted at random (a client whose labels carry no signal). */
export function shuffleLabels(data: Labelled, seed: number): Labelled {
  return { ...data, y: Int32Array.from(shuffled([...data.y], createRng(mixSeed(seed, 3)))) };
}

/** Zero-initialised softmax regression: `weight` [classes, features] and `bias` [classes]. */
export function softmaxModel(features: number, classes: number): Arrays {
  return new Map<string, Parameter>([
    ["weight", { shape: [classes, features], data: new Float32Array(classes * features) }],
    ["bias", { shape: [classes], data: new Float32Array(classes) }],
  ]);
}

/** The logits W·xₙ + b of example n into `out`; returns the largest. */
function logits(w: Float32Array, b: Float32Array, data: Labelled, n: number, out: Float64Array): number {
  const { features, classes, x } = data;
  const row = n * features;
  let max = -Infinity;
  for (let c = 0; c < classes; c++) {
    const wc = c * features;
    let z = b[c]!;
    for (let f = 0; f < features; f++) z += w[wc + f]! * x[row + f]!;
    out[c] = z;
    if (z > max) max = z;
  }
  return max;
}

/** Class probabilities (softmax of the logits) of example n into `out`. */
function predict(w: Float32Array, b: Float32Array, data: Labelled, n: number, out: Float64Array): void {
  const max = logits(w, b, data, n, out);
  let total = 0;
  for (let c = 0; c < data.classes; c++) {
    out[c] = Math.exp(out[c]! - max);
    total += out[c]!;
  }
  for (let c = 0; c < data.classes; c++) out[c]! /= total;
}

/** `epochs` steps of full-batch gradient descent on the mean cross-entropy, from a copy of `arrays`. */
export function trainSoftmax(
  arrays: Arrays,
  data: Labelled,
  options: { epochs: number; learningRate: number },
): Map<string, Parameter> {
  const { features, classes } = data;
  const w = Float32Array.from(arrays.get("weight")!.data);
  const b = Float32Array.from(arrays.get("bias")!.data);
  const count = data.y.length;
  const p = new Float64Array(classes);
  const gw = new Float64Array(classes * features);
  const gb = new Float64Array(classes);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    gw.fill(0);
    gb.fill(0);
    for (let n = 0; n < count; n++) {
      predict(w, b, data, n, p);
      p[data.y[n]!]! -= 1; // ∂CE/∂z = p − onehot(y)
      for (let c = 0; c < classes; c++) {
        gb[c]! += p[c]!;
        for (let f = 0; f < features; f++) gw[c * features + f]! += p[c]! * data.x[n * features + f]!;
      }
    }
    const step = options.learningRate / count;
    for (let i = 0; i < w.length; i++) w[i]! -= step * gw[i]!;
    for (let c = 0; c < classes; c++) b[c]! -= step * gb[c]!;
  }
  return new Map<string, Parameter>([
    ["weight", { shape: [classes, features], data: w }],
    ["bias", { shape: [classes], data: b }],
  ]);
}

/** The fraction of examples whose most probable class is their label. */
export function softmaxAccuracy(arrays: Arrays, data: Labelled): number {
  const w = arrays.get("weight")!.data;
  const b = arrays.get("bias")!.data;
  const p = new Float64Array(data.classes);
  let right = 0;
  for (let n = 0; n < data.y.length; n++) {
    logits(w, b, data, n, p);
    let best = 0;
    for (let c = 1; c < data.classes; c++) if (p[c]! > p[best]!) best = c;
    if (best === data.y[n]) right++;
  }
  return right / data.y.length;
}

/** The mean cross-entropy of the labels. */
export function softmaxLoss(arrays: Arrays, data: Labelled): number {
  const w = arrays.get("weight")!.data;
  const b = arrays.get("bias")!.data;
  const p = new Float64Array(data.classes);
  let loss = 0;
  for (let n = 0; n < data.y.length; n++) {
    predict(w, b, data, n, p);
    loss -= Math.log(Math.max(p[data.y[n]!]!, 1e-12));
  }
  return loss / data.y.length;
}
