import { EngineError } from "@flock/core";
import onnxProto, { type onnx } from "onnx-proto";
import type { Shape } from "../graph/dim.ts";
import type { GraphDType } from "../graph/dtype.ts";
import type { Graph, Tensor } from "../graph/graph.ts";
import { LoweringContext } from "./context.ts";
import { ONNX_DTYPE } from "./dtypes.ts";
import { lowerings } from "./lower.ts";

/** The opset every exported model declares (the newest the Debian `python3-onnx` 1.12 checker knows). */
export const OPSET = 17;
const IR_VERSION = 8;

/** An exported ONNX model: its protobuf bytes and the map from ONNX node names to the code that built them. */
export interface OnnxModel {
  bytes: Uint8Array;
  /** ONNX node name (e.g. `MatMul_17`, or `RMSNorm_3/2` for part of a lowered op) → `file:line`. */
  sourceMap: Record<string, string>;
  inputs: { name: string; dtype: GraphDType; shape: Shape }[];
  outputs: { name: string; dtype: GraphDType; shape: Shape }[];
}

function valueInfo(name: string, dtype: GraphDType, shape: Shape): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[dtype],
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/**
 * Lower a graph to an ONNX model (opset 17). Only nodes the outputs depend on are emitted; inputs the outputs
 * do not use are dropped (ONNX Runtime rejects feeds for unknown inputs, so callers read `model.inputs`).
 */
export function exportOnnx(graph: Graph): OnnxModel {
  if (graph.outputs.length === 0) {
    throw new EngineError("ONNX_NO_OUTPUTS", `graph ${graph.name} has no outputs`, {
      hint: "call graph.output(name, tensor)",
    });
  }
  const ctx = new LoweringContext();
  const targets = graph.outputs.map((o) => o.tensor);
  const nodes = graph.nodesFor(targets);
  const used = new Set<Tensor>(targets);
  for (const node of nodes) for (const input of node.inputs) used.add(input);

  const inputNames = new Set(graph.inputs.map((t) => t.inputName));
  for (const { name, tensor } of graph.outputs) if (!inputNames.has(name)) ctx.assignName(tensor, name);
  for (const t of used) {
    if (t.origin === "constant") ctx.initializer(t.constant!, t.shape as number[], t.dtype, ctx.nameOf(t));
  }
  for (const node of nodes) {
    ctx.begin(node);
    lowerings[node.op](
      ctx,
      node,
      node.inputs.map((t) => ctx.nameOf(t)),
      node.outputs.map((t) => ctx.nameOf(t)),
    );
  }
  // Graph outputs get their own names; an Identity connects them to the value computing them.
  for (const { name, tensor } of graph.outputs) {
    if (ctx.nameOf(tensor) !== name) ctx.add("Identity", [ctx.nameOf(tensor)], [name]);
  }

  const inputs = graph.inputs.filter((t) => used.has(t));
  const model: onnx.IModelProto = {
    irVersion: IR_VERSION,
    producerName: "flock-engine",
    opsetImport: [{ domain: "", version: OPSET }],
    graph: {
      name: graph.name,
      node: ctx.nodes,
      initializer: ctx.initializers,
      input: inputs.map((t) => valueInfo(t.inputName!, t.dtype, t.shape)),
      output: graph.outputs.map((o) => valueInfo(o.name, o.tensor.dtype, o.tensor.shape)),
    },
  };
  const bytes = onnxProto.onnx.ModelProto.encode(onnxProto.onnx.ModelProto.fromObject(model)).finish();
  return {
    bytes,
    sourceMap: ctx.sourceMap,
    inputs: inputs.map((t) => ({ name: t.inputName!, dtype: t.dtype, shape: t.shape })),
    outputs: graph.outputs.map((o) => ({ name: o.name, dtype: o.tensor.dtype, shape: o.tensor.shape })),
  };
}
