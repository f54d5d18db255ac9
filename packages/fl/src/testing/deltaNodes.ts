import { ValidationError } from "@flock/core";
import { type Arrays, flatten, layoutOf, unflatten } from "../arrays.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { Config, Message } from "../messages.ts";
import { runFederation } from "../runFederation.ts";
import type { Strategy } from "../strategy.ts";

/** A scripted federation: in round r node i sends back what it was sent plus `deltas[r − 1][i]`. */
export interface DeltaScript {
  /** Per round, per node, the flat change the node makes to the model it receives. */
  readonly deltas: readonly (readonly (readonly number[])[])[];
  /** Each node's numExamples (its weight in the mean). */
  readonly weights: readonly number[];
}

/** What a scripted federation did: the flat global model after each round and the configs nodes received. */
export interface DeltaRun {
  readonly globals: number[][];
  readonly configs: Config[][];
}

/**
 * Run `strategy` over the real round loop and an `InMemoryGrid` whose nodes apply scripted deltas, for
 * known-answer tests of aggregation across rounds (the mean of round r is x_{r−1} + Σ wᵢ·δᵢ / Σ wᵢ).
 */
export async function runDeltaScript(
  strategy: Strategy,
  initial: Arrays,
  script: DeltaScript,
): Promise<DeltaRun> {
  const configs: Config[][] = [];
  const app: NodeApp = {
    async train(message: Message) {
      const node = Number(message.nodeId);
      const delta = script.deltas[message.round - 1]?.[node];
      if (!message.arrays || !delta) {
        throw new ValidationError("FL_SCRIPT_INVALID", `no delta for node ${node} in round ${message.round}`);
      }
      configs[message.round - 1] ??= [];
      configs[message.round - 1]![node] = message.config;
      const x = flatten(message.arrays);
      return {
        arrays: unflatten(
          layoutOf(message.arrays),
          x.map((v, i) => v + delta[i]!),
        ),
        numExamples: script.weights[node]!,
        metrics: {},
      };
    },
    async evaluate() {
      return { numExamples: 1, metrics: {} };
    },
  };
  const globals: number[][] = [];
  await runFederation({
    strategy,
    grid: new InMemoryGrid({ nodes: script.weights.length, app }),
    initialArrays: initial,
    rounds: script.deltas.length,
    onRound: (_record, arrays) => globals.push([...flatten(arrays)]),
  });
  return { globals, configs };
}

/** A small model of two arrays, a [2] and b [1], flat [a₀, a₁, b₀]. */
export function threeValueModel(values: readonly [number, number, number]): Arrays {
  return new Map([
    ["a", { shape: [2], data: Float32Array.of(values[0], values[1]) }],
    ["b", { shape: [1], data: Float32Array.of(values[2]) }],
  ]);
}
