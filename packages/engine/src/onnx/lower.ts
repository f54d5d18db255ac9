import type { Node } from "../graph/graph.ts";
import { attrBool, attrDType, attrNumber, attrNumbers } from "../graph/opType.ts";
import type { LoweringContext } from "./context.ts";
import { ONNX_DTYPE } from "./dtypes.ts";

/** Emit the ONNX nodes (opset 17) computing one IR node, reading inputs and writing outputs by name. */
export type Lowering = (ctx: LoweringContext, node: Node, ins: string[], outs: string[]) => void;

const direct =
  (opType: string): Lowering =>
  (ctx, _node, ins, outs) =>
    ctx.add(opType, ins, outs);

function int64Indices(ctx: LoweringContext, node: Node, index: number, name: string): string {
  return node.inputs[index]!.dtype === "int64" ? name : ctx.op("Cast", [name], { to: ONNX_DTYPE.int64 });
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Embedding gradients of tables up to this many rows are computed as a one-hot GEMM (deterministic for any
 * thread count, 2·tokens·rows·width FLOPs); larger vocabularies use ScatterND (cheaper, not bit-stable
 * across thread counts).
 */
export const ONE_HOT_MAX_ROWS = 4096;

export const lowerings: Record<Node["op"], Lowering> = {
  Add: direct("Add"),
  Sub: direct("Sub"),
  Mul: direct("Mul"),
  Div: direct("Div"),
  Max: direct("Max"),
  Min: direct("Min"),
  Equal: direct("Equal"),
  Less: direct("Less"),
  Greater: direct("Greater"),
  Neg: direct("Neg"),
  Exp: direct("Exp"),
  Log: direct("Log"),
  Sqrt: direct("Sqrt"),
  Reciprocal: direct("Reciprocal"),
  Tanh: direct("Tanh"),
  Erf: direct("Erf"),
  Sigmoid: direct("Sigmoid"),
  Relu: direct("Relu"),
  Abs: direct("Abs"),
  Where: direct("Where"),
  MatMul: direct("MatMul"),
  Cast: (ctx, node, ins, outs) => ctx.add("Cast", ins, outs, { to: ONNX_DTYPE[attrDType(node.attrs, "to")] }),
  Gemm: (ctx, node, ins, outs) =>
    ctx.add("Gemm", ins, outs, {
      transA: attrBool(node.attrs, "transA") ? 1 : 0,
      transB: attrBool(node.attrs, "transB") ? 1 : 0,
    }),
  ReduceSum: (ctx, node, ins, outs) =>
    ctx.add("ReduceSum", [ins[0]!, ctx.int64s(attrNumbers(node.attrs, "axes"))], outs, {
      keepdims: attrBool(node.attrs, "keepdims") ? 1 : 0,
    }),
  ReduceMean: (ctx, node, ins, outs) =>
    ctx.add("ReduceMean", ins, outs, {
      axes: attrNumbers(node.attrs, "axes"),
      keepdims: attrBool(node.attrs, "keepdims") ? 1 : 0,
    }),
  ReduceSumSquare: (ctx, node, ins, outs) =>
    ctx.add("ReduceSumSquare", ins, outs, {
      axes: attrNumbers(node.attrs, "axes"),
      keepdims: attrBool(node.attrs, "keepdims") ? 1 : 0,
    }),
  ReduceMax: (ctx, node, ins, outs) =>
    ctx.add("ReduceMax", ins, outs, {
      axes: attrNumbers(node.attrs, "axes"),
      keepdims: attrBool(node.attrs, "keepdims") ? 1 : 0,
    }),
  Reshape: (ctx, node, ins, outs) =>
    ctx.add("Reshape", [ins[0]!, ctx.reshapeDims(node.outputs[0]!.shape)], outs),
  ReshapeAs: (ctx, node, ins, outs) => {
    const like = node.inputs[1]!.shape;
    const target =
      like.filter((d) => typeof d !== "number").length <= 1
        ? ctx.reshapeDims(like)
        : ctx.op("Shape", [ins[1]!]);
    ctx.add("Reshape", [ins[0]!, target], outs);
  },
  ExpandAs: (ctx, _node, ins, outs) => ctx.add("Expand", [ins[0]!, ctx.op("Shape", [ins[1]!])], outs),
  Transpose: (ctx, node, ins, outs) =>
    ctx.add("Transpose", ins, outs, { perm: attrNumbers(node.attrs, "perm") }),
  Slice: (ctx, node, ins, outs) =>
    ctx.add(
      "Slice",
      [
        ins[0]!,
        ctx.int64s(attrNumbers(node.attrs, "starts")),
        ctx.int64s(attrNumbers(node.attrs, "ends")),
        ctx.int64s(attrNumbers(node.attrs, "axes")),
      ],
      outs,
    ),
  Concat: (ctx, node, ins, outs) => ctx.add("Concat", ins, outs, { axis: attrNumber(node.attrs, "axis") }),
  Split: (ctx, node, ins, outs) =>
    ctx.add("Split", [ins[0]!, ctx.int64s(attrNumbers(node.attrs, "sizes"))], outs, {
      axis: attrNumber(node.attrs, "axis"),
    }),
  Gather: (ctx, node, ins, outs) => ctx.add("Gather", ins, outs, { axis: attrNumber(node.attrs, "axis") }),
  ScatterAddRows: (ctx, node, ins, outs) => {
    const out = node.outputs[0]!;
    const rows = out.dim(0);
    const width = out.dim(1);
    const indices = int64Indices(ctx, node, 1, ins[1]!);
    if (rows <= ONE_HOT_MAX_ROWS) {
      // onehot(indices)ᵀ · updates: a GEMM, whose inner dimension (the tokens) is never split across
      // threads, so the sum is bit-identical for any thread count. ScatterND with reduction "add" is not:
      // ONNX Runtime partitions its updates across threads.
      const values = ctx.initializer([0, 1], [2], out.dtype);
      const flat = ctx.op("Reshape", [indices, ctx.int64s([-1])]);
      const oneHot = ctx.op("OneHot", [flat, ctx.int64s([rows], []), values], { axis: -1 });
      const updates = ctx.op("Reshape", [ins[0]!, ctx.int64s([-1, width])]);
      ctx.add("Gemm", [oneHot, updates], outs, { transA: 1 });
      return;
    }
    const zeros = ctx.initializer(new Float64Array(rows * width), [rows, width], out.dtype);
    // Rows picked several times accumulate: ScatterND with reduction "add" (opset 16+).
    ctx.add("ScatterND", [zeros, ctx.op("Unsqueeze", [indices, ctx.int64s([-1])]), ins[0]!], outs, {
      reduction: "add",
    });
  },
  Softmax: (ctx, node, ins, outs) => ctx.add("Softmax", ins, outs, { axis: attrNumber(node.attrs, "axis") }),
  LogSoftmax: (ctx, node, ins, outs) =>
    ctx.add("LogSoftmax", ins, outs, { axis: attrNumber(node.attrs, "axis") }),
  LayerNorm: (ctx, node, ins, outs) =>
    ctx.add("LayerNormalization", ins, outs, { axis: -1, epsilon: { float: attrNumber(node.attrs, "eps") } }),
  RMSNorm: (ctx, node, ins, outs) => {
    const [x, w] = ins as [string, string];
    const dtype = node.inputs[0]!.dtype;
    const meanSquare = ctx.op("ReduceMean", [ctx.op("Mul", [x, x])], { axes: [-1], keepdims: 1 });
    const rms = ctx.op("Sqrt", [
      ctx.op("Add", [meanSquare, ctx.scalar(attrNumber(node.attrs, "eps"), dtype)]),
    ]);
    ctx.add("Reciprocal", [rms], [outs[1]!]);
    ctx.add("Mul", [ctx.op("Mul", [x, outs[1]!]), w], [outs[0]!]);
  },
  Gelu: (ctx, node, ins, outs) => {
    const x = ins[0]!;
    const dtype = node.inputs[0]!.dtype;
    let inner: string;
    if (node.attrs.approximate === "tanh") {
      const cube = ctx.op("Mul", [ctx.op("Mul", [x, x]), x]);
      const u = ctx.op("Add", [x, ctx.op("Mul", [cube, ctx.scalar(0.044715, dtype)])]);
      inner = ctx.op("Tanh", [ctx.op("Mul", [u, ctx.scalar(SQRT_2_OVER_PI, dtype)])]);
    } else {
      inner = ctx.op("Erf", [ctx.op("Mul", [x, ctx.scalar(Math.SQRT1_2, dtype)])]);
    }
    const half = ctx.op("Mul", [x, ctx.scalar(0.5, dtype)]);
    ctx.add("Mul", [half, ctx.op("Add", [inner, ctx.scalar(1, dtype)])], outs);
  },
  Silu: (ctx, _node, ins, outs) => ctx.add("Mul", [ins[0]!, ctx.op("Sigmoid", [ins[0]!])], outs),
  Rope: (ctx, node, ins, outs) => {
    const [x, cos, sinIn] = ins as [string, string, string];
    const x0 = node.inputs[0]!;
    const d = x0.dim(-1);
    const half = d / 2;
    // Rotate-half layout (Hugging Face Llama): [x1·cos − x2·sin, x2·cos + x1·sin]
    //   = x ⊙ [cos, cos] + (x · R) ⊙ [sin, sin] with R the signed swap [x1, x2] → [−x2, x1]: one small GEMM
    //   (K = N = head dim) instead of a split and a concat. The tables are [T, d/2] and constant-folded.
    const rotation = new Float64Array(d * d);
    for (let j = 0; j < half; j++) {
      rotation[(j + half) * d + j] = -1;
      rotation[j * d + j + half] = 1;
    }
    const sin = attrBool(node.attrs, "inverse") ? ctx.op("Neg", [sinIn]) : sinIn;
    const cosFull = ctx.op("Concat", [cos, cos], { axis: -1 });
    const sinFull = ctx.op("Concat", [sin, sin], { axis: -1 });
    const rotated = ctx.op("MatMul", [x, ctx.initializer(rotation, [d, d], x0.dtype)]);
    ctx.add("Add", [ctx.op("Mul", [x, cosFull]), ctx.op("Mul", [rotated, sinFull])], outs);
  },
  CrossEntropy: (ctx, node, ins, outs) => {
    const logp = ctx.op("LogSoftmax", [ins[0]!], { axis: -1 });
    const index = ctx.op("Unsqueeze", [int64Indices(ctx, node, 1, ins[1]!), ctx.int64s([-1])]);
    const picked = ctx.op("GatherElements", [logp, index], { axis: -1 });
    ctx.add("Neg", [ctx.op("Squeeze", [picked, ctx.int64s([-1])])], outs);
  },
  CrossEntropyGrad: (ctx, node, ins, outs) => {
    const [logits, targets, dnll] = ins as [string, string, string];
    const dtype = node.inputs[0]!.dtype;
    const vocab = node.inputs[0]!.dim(-1);
    const probs = ctx.op("Softmax", [logits], { axis: -1 });
    const values = ctx.initializer([0, 1], [2], dtype);
    const indices = int64Indices(ctx, node, 1, targets);
    const oneHot = ctx.op("OneHot", [indices, ctx.int64s([vocab], []), values], { axis: -1 });
    const scale = ctx.op("Unsqueeze", [dnll, ctx.int64s([-1])]);
    ctx.add("Mul", [ctx.op("Sub", [probs, oneHot]), scale], outs);
  },
};
