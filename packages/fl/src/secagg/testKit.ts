import { type Arrays, weightedMeanOf } from "../arrays.ts";
import type { NodeApp } from "../inMemoryGrid.ts";
import type { Message } from "../messages.ts";
import { DEFAULT_QUANTIZATION } from "./quantize.ts";

/** Fixtures shared by the SecAgg+ tests. */

/** A model of `size` values in two arrays. */
export function modelOf(size: number, fill = 0.1): Arrays {
  const half = Math.floor(size / 2);
  return new Map([
    ["a", { shape: [half], data: new Float32Array(half).fill(fill) }],
    ["b", { shape: [size - half], data: new Float32Array(size - half).fill(-fill) }],
  ]);
}

/** Node i's "training": each value moves by a node-specific amount; it reports 10 + i examples. */
export function deltaOf(node: number, j: number): number {
  return Math.sin(node * 7.3 + j * 1.7) * 0.5;
}

export const trainingApp: NodeApp = {
  async train(message: Message) {
    const i = Number(message.nodeId);
    let j = 0;
    const arrays = new Map(
      [...message.arrays!].map(([name, p]) => [
        name,
        { shape: [...p.shape], data: p.data.map((v) => v + deltaOf(i, j++)) },
      ]),
    );
    return { arrays, numExamples: 10 + i, metrics: { loss: i } };
  },
  async evaluate() {
    return { numExamples: 1, metrics: {} };
  },
};

/** The plain example-weighted mean of the updates of `nodes` from `base`, as FedAvg computes it. */
export function plainMean(base: Arrays, nodes: readonly string[]): Float64Array {
  const flat = [...base.values()].flatMap((p) => [...p.data]);
  const vectors = nodes.map((id) => flat.map((v, j) => Math.fround(v + deltaOf(Number(id), j))));
  return weightedMeanOf(
    vectors,
    nodes.map((id) => 10 + Number(id)),
  );
}

/**
 * The error SecAgg+ may add to the mean: one quantization step 2c/Q per node and value (stochastic
 * rounding), divided by the sum of weight ratios, plus the effect of rounding each weight ratio to 1/Q
 * (relative error ≤ ½ / q_weight on values of size ≤ max |Δ|).
 */
export function quantizationBound(nodes: readonly string[]): number {
  const q = DEFAULT_QUANTIZATION;
  const step = (2 * q.clippingRange) / q.quantizationRange;
  const ratios = nodes.map((id) => (10 + Number(id)) / q.maxWeight);
  const total = ratios.reduce((a, b) => a + b, 0);
  const weightError = Math.max(...ratios.map((r) => 0.5 / (r * q.quantizationRange)));
  return (nodes.length * step) / total + 2 * weightError + 1e-6;
}

/** Largest absolute difference between two vectors. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Pearson's χ² of byte frequencies against uniform (255 degrees of freedom; 0.999 quantile 330.5). */
export function byteChiSquare(bytes: Uint8Array): number {
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b]!++;
  const expected = bytes.length / 256;
  return counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0);
}
