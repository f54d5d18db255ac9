import { ValidationError } from "@flock/core";
import { type Arrays, flatten, layoutOf, unflatten } from "../arrays.ts";
import type { NodeApp } from "../inMemoryGrid.ts";
import type { Config, Message } from "../messages.ts";

/**
 * Test nodes for the DP wrappers: node i sends back the model it received plus `deltaOf(i, round)` (a flat
 * vector), with one example each so FedAvg's mean is unweighted. Records each node's training config.
 */
export function deltaNodes(
  deltaOf: (node: number, round: number) => ArrayLike<number>,
  configs: Map<string, Config> = new Map(),
): NodeApp {
  return {
    async train(message: Message) {
      if (!message.arrays)
        throw new ValidationError("FL_TEST_NO_ARRAYS", "a training message without arrays");
      configs.set(`${message.round}:${message.nodeId}`, message.config);
      const x = flatten(message.arrays);
      const d = deltaOf(Number(message.nodeId), message.round);
      return {
        arrays: unflatten(
          layoutOf(message.arrays),
          x.map((v, i) => v + d[i]!),
        ),
        numExamples: 1,
        metrics: { loss: 1 },
      };
    },
    async evaluate() {
      return { numExamples: 1, metrics: {} };
    },
  };
}

/** A model of `size` zeros in two arrays ("w" of size − 1 values, "b" of one). */
export function zeroModel(size: number): Arrays {
  return new Map([
    ["w", { shape: [size - 1], data: new Float32Array(size - 1) }],
    ["b", { shape: [1], data: new Float32Array(1) }],
  ]);
}

/** A vector of `size` values v·(1, −1, 1, …)/√size·norm: L2 norm exactly `norm` (up to rounding). */
export function vectorOfNorm(size: number, norm: number, phase = 0): Float64Array {
  const v = new Float64Array(size);
  for (let i = 0; i < size; i++) v[i] = (((i + phase) % 2 === 0 ? 1 : -1) * norm) / Math.sqrt(size);
  return v;
}
