import { EngineError } from "@flock/core";
import type { Graph, Tensor } from "../graph/graph.ts";
import { evaluateOp } from "./kernels.ts";
import { type NDArray, ndarray } from "./ndarray.ts";

/** Feeds for the reference interpreter: input name → values (row-major) and concrete shape. */
export type ReferenceFeeds = Record<string, NDArray>;

/**
 * Evaluate tensors of a graph in float64 JavaScript, one op at a time. Slow, simple and exact: the
 * reference the ONNX path and the gradients are checked against.
 */
export function interpret(graph: Graph, feeds: ReferenceFeeds, targets: readonly Tensor[]): NDArray[] {
  const values = new Map<Tensor, NDArray>();
  const read = (t: Tensor): NDArray => {
    const known = values.get(t);
    if (known) return known;
    if (t.origin === "constant") {
      const value = ndarray(t.shape as number[], t.constant!);
      values.set(t, value);
      return value;
    }
    if (t.origin === "input") {
      const feed = feeds[t.inputName!];
      if (!feed) {
        throw new EngineError("REFERENCE_MISSING_INPUT", `no value fed for graph input ${t.inputName}`, {
          hint: "pass every input the requested outputs depend on",
        });
      }
      values.set(t, feed);
      return feed;
    }
    throw new Error(`tensor ${t.id} has no value yet`);
  };
  for (const node of graph.nodesFor(targets)) {
    const outs = evaluateOp(
      node.op,
      node.inputs.map(read),
      node.attrs,
      node.outputs.map((o) => ({ dtype: o.dtype, shape: o.shape })),
    );
    node.outputs.forEach((o, i) => {
      values.set(o, outs[i]!);
    });
  }
  return targets.map(read);
}

/** Evaluate named graph outputs. */
export function interpretOutputs(graph: Graph, feeds: ReferenceFeeds): Record<string, NDArray> {
  const results = interpret(
    graph,
    feeds,
    graph.outputs.map((o) => o.tensor),
  );
  return Object.fromEntries(graph.outputs.map((o, i) => [o.name, results[i]!]));
}
