import { type Arrays, type ArraysLayout, flatten, unflatten } from "../arrays.ts";
import type { Grid } from "../grid.ts";
import type { Metrics, Reply } from "../messages.ts";
import type { Strategy, TrainResult } from "../strategy.ts";

/** The layout tests use: arrays "w" [2, 2] and "b" [len − 4] when there are more than 4 values, else "w" [len]. */
export function testLayout(size: number): ArraysLayout {
  if (size <= 4) return { names: ["w"], shapes: [[size]], offsets: [0], size };
  return { names: ["w", "b"], shapes: [[2, 2], [size - 4]], offsets: [0, 4], size };
}

/** Flat values cut into the test layout. */
export function arraysOf(values: readonly number[]): Arrays {
  return unflatten(testLayout(values.length), values);
}

/** A training reply from `nodeId` holding `values`. */
export function trainReply(
  nodeId: string,
  values: readonly number[],
  numExamples = 1,
  metrics: Metrics = {},
): Reply {
  return { nodeId, kind: "train", round: 1, update: { arrays: arraysOf(values), numExamples, metrics } };
}

/** A grid of `n` nodes that nobody sends to (configureTrain only asks for node ids). */
export function idleGrid(n: number): Grid {
  const ids = Array.from({ length: n }, (_, i) => String(i));
  return {
    nodeIds: async () => ids,
    sendAndReceive: async () => [],
  };
}

/** Configures round 1 of `strategy` from the global `values`, as the round loop would. */
export async function configured<S extends Strategy>(
  strategy: S,
  values: readonly number[],
  nodes = 8,
): Promise<S> {
  await strategy.configureTrain(1, arraysOf(values), {}, idleGrid(nodes));
  return strategy;
}

/** The new global model of a training result as plain numbers (undefined when there is none). */
export function flatResult(result: TrainResult): number[] | undefined {
  return result.arrays ? Array.from(flatten(result.arrays)) : undefined;
}
