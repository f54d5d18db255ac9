import { NotImplementedError } from "@flock/core";
import { type Dim, shapeError } from "../graph/dim.ts";
import type { Node, Tensor } from "../graph/graph.ts";
import { attrBool, attrNumber, attrNumbers } from "../graph/opType.ts";
import { reduceTo } from "./reduceTo.ts";

/** Gradients of a node's inputs given the gradients of its outputs (undefined where none flows). */
export type GradRule = (node: Node, dys: readonly (Tensor | undefined)[]) => (Tensor | undefined)[];

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function keptShape(x: Tensor, axes: readonly number[]): Dim[] {
  return x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reducedCount(x: Tensor, axes: readonly number[]): number {
  return axes.reduce((count, axis) => {
    const d = x.shape[axis];
    if (typeof d !== "number") throw shapeError("mean over a symbolic dimension has no static gradient");
    return count * d;
  }, 1);
}

/** Zeros shaped like `x.slice(axis, start, end)`. */
function zerosLikeSlice(x: Tensor, axis: number, start: number, end: number): Tensor {
  const zero = x.graph.scalar(0, x.dtype).reshape(x.shape.map(() => 1));
  return zero.expandAs(x.slice(axis, start, end));
}

/** d/dx GELU(x): Φ(x) + x·φ(x) exactly, or the derivative of the tanh approximation. */
function geluGrad(x: Tensor, approximate: boolean): Tensor {
  if (!approximate) {
    const cdf = x.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
    const pdf = x.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
    return cdf.add(x.mul(pdf));
  }
  const x2 = x.square();
  const t = x.add(x2.mul(x).mul(0.044715)).mul(SQRT_2_OVER_PI).tanh();
  const du = x2
    .mul(3 * 0.044715)
    .add(1)
    .mul(SQRT_2_OVER_PI);
  return t
    .add(1)
    .mul(0.5)
    .add(x.mul(0.5).mul(t.square().neg().add(1)).mul(du));
}

/** Reverse-mode rules, one per op. Each returns one entry per input. */
export const gradRules: Record<Node["op"], GradRule> = {
  Add: (n, [dy]) => [reduceTo(dy!, n.inputs[0]!), reduceTo(dy!, n.inputs[1]!)],
  Sub: (n, [dy]) => [reduceTo(dy!, n.inputs[0]!), reduceTo(dy!.neg(), n.inputs[1]!)],
  Mul: (n, [dy]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    return [reduceTo(dy!.mul(b), a), reduceTo(dy!.mul(a), b)];
  },
  Div: (n, [dy]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const y = n.outputs[0]!;
    return [reduceTo(dy!.div(b), a), reduceTo(dy!.mul(y).div(b).neg(), b)];
  },
  Max: (n, [dy]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const bWins = a.less(b);
    return [reduceTo(n.graph.where(bWins, 0, dy!), a), reduceTo(n.graph.where(bWins, dy!, 0), b)];
  },
  Min: (n, [dy]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const bWins = a.greater(b);
    return [reduceTo(n.graph.where(bWins, 0, dy!), a), reduceTo(n.graph.where(bWins, dy!, 0), b)];
  },
  Equal: () => [undefined, undefined],
  Less: () => [undefined, undefined],
  Greater: () => [undefined, undefined],
  Neg: (_n, [dy]) => [dy!.neg()],
  Exp: (n, [dy]) => [dy!.mul(n.outputs[0]!)],
  Log: (n, [dy]) => [dy!.div(n.inputs[0]!)],
  Sqrt: (n, [dy]) => [dy!.mul(0.5).div(n.outputs[0]!)],
  Reciprocal: (n, [dy]) => [dy!.mul(n.outputs[0]!.square()).neg()],
  Tanh: (n, [dy]) => [dy!.mul(n.outputs[0]!.square().neg().add(1))],
  Erf: (n, [dy]) => [dy!.mul(n.inputs[0]!.square().neg().exp().mul(TWO_OVER_SQRT_PI))],
  Sigmoid: (n, [dy]) => {
    const y = n.outputs[0]!;
    return [dy!.mul(y.mul(y.neg().add(1)))];
  },
  Relu: (n, [dy]) => [n.graph.where(n.inputs[0]!.greater(0), dy!, 0)],
  Abs: (n, [dy]) => [n.graph.where(n.inputs[0]!.less(0), dy!.neg(), dy!)],
  Gelu: (n, [dy]) => [dy!.mul(geluGrad(n.inputs[0]!, n.attrs.approximate === "tanh"))],
  Silu: (n, [dy]) => {
    const x = n.inputs[0]!;
    const s = x.sigmoid();
    const y = n.outputs[0]!;
    // d/dx x·σ(x) = σ + x·σ·(1 − σ) = σ + y − y·σ with y = x·σ
    return [dy!.mul(s.add(y).sub(y.mul(s)))];
  },
  Cast: (n, [dy]) => {
    const x = n.inputs[0]!;
    const floatToFloat = (x.dtype === "float32" || x.dtype === "float64") && dy !== undefined;
    return [floatToFloat ? dy!.cast(x.dtype) : undefined];
  },
  Where: (n, [dy]) => {
    const [c, a, b] = n.inputs as [Tensor, Tensor, Tensor];
    return [undefined, reduceTo(n.graph.where(c, dy!, 0), a), reduceTo(n.graph.where(c, 0, dy!), b)];
  },
  MatMul: (n, [dy]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    return [reduceTo(dy!.matmul(b.transposeLast()), a), reduceTo(a.transposeLast().matmul(dy!), b)];
  },
  Gemm: (n, [dy]) => {
    const [a, b] = n.inputs as [Tensor, Tensor];
    const ta = attrBool(n.attrs, "transA");
    const tb = attrBool(n.attrs, "transB");
    // Y = op(A)·op(B): dA and dB are again single Gemms with the transposes moved around.
    if (!ta && !tb) return [dy!.gemm(b, { transB: true }), a.gemm(dy!, { transA: true })];
    if (!ta && tb) return [dy!.gemm(b), dy!.gemm(a, { transA: true })];
    if (ta && !tb) return [b.gemm(dy!, { transB: true }), a.gemm(dy!)];
    return [b.gemm(dy!, { transA: true, transB: true }), dy!.gemm(a, { transA: true, transB: true })];
  },
  ReduceSum: (n, [dy]) => {
    const x = n.inputs[0]!;
    const axes = attrNumbers(n.attrs, "axes");
    const kept = attrBool(n.attrs, "keepdims") ? dy! : dy!.reshape(keptShape(x, axes));
    return [kept.expandAs(x)];
  },
  ReduceMean: (n, [dy]) => {
    const x = n.inputs[0]!;
    const axes = attrNumbers(n.attrs, "axes");
    const kept = attrBool(n.attrs, "keepdims") ? dy! : dy!.reshape(keptShape(x, axes));
    return [kept.div(reducedCount(x, axes)).expandAs(x)];
  },
  ReduceSumSquare: (n, [dy]) => {
    const x = n.inputs[0]!;
    const axes = attrNumbers(n.attrs, "axes");
    const kept = attrBool(n.attrs, "keepdims") ? dy! : dy!.reshape(keptShape(x, axes));
    return [kept.expandAs(x).mul(x).mul(2)];
  },
  ReduceMax: (n, [dy]) => {
    const x = n.inputs[0]!;
    const axes = attrNumbers(n.attrs, "axes");
    const keep = attrBool(n.attrs, "keepdims");
    const y = keep ? n.outputs[0]! : n.outputs[0]!.reshape(keptShape(x, axes));
    const g = keep ? dy! : dy!.reshape(keptShape(x, axes));
    return [n.graph.where(x.equal(y), g.expandAs(x), 0)];
  },
  Reshape: (n, [dy]) => [dy!.reshapeAs(n.inputs[0]!)],
  ReshapeAs: (n, [dy]) => [dy!.reshapeAs(n.inputs[0]!), undefined],
  ExpandAs: (n, [dy]) => [reduceTo(dy!, n.inputs[0]!), undefined],
  Transpose: (n, [dy]) => {
    const perm = attrNumbers(n.attrs, "perm");
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [dy!.transpose(inverse)];
  },
  Slice: (n, [dy]) => {
    const x = n.inputs[0]!;
    const axes = attrNumbers(n.attrs, "axes");
    if (axes.length !== 1) throw new NotImplementedError("gradient of a multi-axis Slice");
    const axis = axes[0]!;
    const start = attrNumbers(n.attrs, "starts")[0]!;
    const size = x.dim(axis);
    const end = Math.min(attrNumbers(n.attrs, "ends")[0]!, size);
    const parts: Tensor[] = [];
    if (start > 0) parts.push(zerosLikeSlice(x, axis, 0, start));
    parts.push(dy!);
    if (end < size) parts.push(zerosLikeSlice(x, axis, end, size));
    return [parts.length === 1 ? dy! : n.graph.concat(parts, axis)];
  },
  Concat: (n, [dy]) => {
    const axis = attrNumber(n.attrs, "axis");
    let offset = 0;
    return n.inputs.map((x) => {
      const size = x.dim(axis);
      const part = dy!.slice(axis, offset, offset + size);
      offset += size;
      return part;
    });
  },
  Split: (n, dys) => {
    const x = n.inputs[0]!;
    const axis = attrNumber(n.attrs, "axis");
    let start = 0;
    const parts = n.outputs.map((out, i) => {
      start += out.dim(axis);
      return dys[i] ?? zerosLikeSlice(x, axis, start - out.dim(axis), start);
    });
    return [n.graph.concat(parts, axis)];
  },
  Gather: (n, [dy]) => {
    const [table, indices] = n.inputs as [Tensor, Tensor];
    if (attrNumber(n.attrs, "axis") !== 0 || table.rank !== 2) {
      throw new NotImplementedError("gradient of Gather other than rows of a matrix");
    }
    // Embedding gradient: rows picked several times accumulate (ONNX ScatterND, reduction "add").
    return [n.graph.apply1("ScatterAddRows", [dy!, indices], { rows: table.dim(0) }), undefined];
  },
  ScatterAddRows: () => {
    throw new NotImplementedError("second-order gradient through ScatterAddRows");
  },
  Softmax: (n, [dy]) => {
    const y = n.outputs[0]!;
    const axis = attrNumber(n.attrs, "axis");
    return [y.mul(dy!.sub(dy!.mul(y).sum(axis, true)))];
  },
  LogSoftmax: (n, [dy]) => {
    const y = n.outputs[0]!;
    const axis = attrNumber(n.attrs, "axis");
    return [dy!.sub(y.exp().mul(dy!.sum(axis, true)))];
  },
  LayerNorm: (n, [dy]) => {
    const [x, w, b] = n.inputs as [Tensor, Tensor, Tensor];
    const [, mean, rstd] = n.outputs as [Tensor, Tensor, Tensor];
    const xhat = x.sub(mean).mul(rstd);
    const g = dy!.mul(w);
    // dx = rstd · (g − mean(g) − x̂ · mean(g · x̂))
    const dx = g
      .sub(g.mean(-1, true))
      .sub(xhat.mul(g.mul(xhat).mean(-1, true)))
      .mul(rstd);
    return [dx, reduceTo(dy!.mul(xhat), w), reduceTo(dy!, b)];
  },
  RMSNorm: (n, [dy]) => {
    const [x, w] = n.inputs as [Tensor, Tensor];
    const rstd = n.outputs[1]!;
    const xhat = x.mul(rstd);
    const g = dy!.mul(w);
    // dx = rstd · (g − x̂ · mean(g · x̂))
    const dx = g.sub(xhat.mul(g.mul(xhat).mean(-1, true))).mul(rstd);
    return [dx, reduceTo(dy!.mul(xhat), w)];
  },
  Rope: (n, [dy]) => {
    const [, cos, sin] = n.inputs as [Tensor, Tensor, Tensor];
    // The rotation is orthogonal: its transpose is the rotation by the opposite angle.
    const inverse = !attrBool(n.attrs, "inverse");
    return [n.graph.apply1("Rope", [dy!, cos, sin], { inverse }), undefined, undefined];
  },
  CrossEntropy: (n, [dy]) => {
    const [logits, targets] = n.inputs as [Tensor, Tensor];
    return [n.graph.apply1("CrossEntropyGrad", [logits, targets, dy!]), undefined];
  },
  CrossEntropyGrad: () => {
    throw new NotImplementedError("second-order gradient through CrossEntropy");
  },
};
