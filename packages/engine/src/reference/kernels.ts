import type { GraphDType } from "../graph/dtype.ts";
import type { TensorType } from "../graph/infer.ts";
import { type Attrs, attrBool, attrDType, attrNumber, attrNumbers, type OpType } from "../graph/opType.ts";
import { erf } from "./erf.ts";
import {
  around,
  broadcastConcrete,
  broadcastTo,
  map,
  matmul,
  type NDArray,
  ndarray,
  reduce,
  sizeOf,
  transpose,
  zipWith,
} from "./ndarray.ts";

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

function castValue(x: number, to: GraphDType): number {
  switch (to) {
    case "float32":
    case "float64":
      return x;
    case "int32":
    case "int64":
      return Math.trunc(x);
    case "bool":
      return x !== 0 ? 1 : 0;
    default:
      return to satisfies never;
  }
}

/** Softmax (or log-softmax) along one axis, max-subtracted. */
function softmaxAlong(x: NDArray, axis: number, log: boolean): NDArray {
  const [outer, n, inner] = around(x.shape, axis);
  const out = ndarray(x.shape);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * n + k) * inner + i;
      let max = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < n; k++) max = Math.max(max, x.data[at(k)]!);
      let sum = 0;
      for (let k = 0; k < n; k++) sum += Math.exp(x.data[at(k)]! - max);
      for (let k = 0; k < n; k++) {
        const shifted = x.data[at(k)]! - max;
        out.data[at(k)] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
      }
    }
  }
  return out;
}

function gelu(x: number, approximate: boolean): number {
  if (approximate) return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

function gather(data: NDArray, indices: NDArray, axis: number): NDArray {
  const [outer, n, inner] = around(data.shape, axis);
  const count = indices.data.length;
  const out = ndarray([...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)]);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      let idx = indices.data[j]!;
      if (idx < 0) idx += n;
      for (let i = 0; i < inner; i++)
        out.data[(o * count + j) * inner + i] = data.data[(o * n + idx) * inner + i]!;
    }
  }
  return out;
}

function slice(x: NDArray, attrs: Attrs): NDArray {
  const axes = attrNumbers(attrs, "axes");
  const starts = attrNumbers(attrs, "starts");
  const ends = attrNumbers(attrs, "ends");
  let current = x;
  axes.forEach((axis, i) => {
    const [outer, n, inner] = around(current.shape, axis);
    const start = starts[i]!;
    const end = Math.min(ends[i]!, n);
    const shape = [...current.shape];
    shape[axis] = end - start;
    const out = ndarray(shape);
    const len = end - start;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < len; k++) {
        for (let j = 0; j < inner; j++)
          out.data[(o * len + k) * inner + j] = current.data[(o * n + start + k) * inner + j]!;
      }
    }
    current = out;
  });
  return current;
}

function concat(xs: readonly NDArray[], axis: number): NDArray {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((a, x) => a + x.shape[axis]!, 0);
  const out = ndarray(shape);
  const [outer, total, inner] = around(shape, axis);
  let offset = 0;
  for (const x of xs) {
    const n = x.shape[axis]!;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < n; k++) {
        for (let j = 0; j < inner; j++)
          out.data[(o * total + offset + k) * inner + j] = x.data[(o * n + k) * inner + j]!;
      }
    }
    offset += n;
  }
  return out;
}

function layerNorm(
  x: NDArray,
  w: NDArray,
  b: NDArray | undefined,
  eps: number,
  centered: boolean,
): NDArray[] {
  const d = x.shape[x.shape.length - 1]!;
  const rows = x.data.length / d;
  const y = ndarray(x.shape);
  const statShape = [...x.shape.slice(0, -1), 1];
  const means = ndarray(statShape);
  const rstds = ndarray(statShape);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    if (centered) {
      for (let k = 0; k < d; k++) mean += x.data[r * d + k]!;
      mean /= d;
    }
    let sq = 0;
    for (let k = 0; k < d; k++) sq += (x.data[r * d + k]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / d + eps);
    for (let k = 0; k < d; k++) {
      y.data[r * d + k] = (x.data[r * d + k]! - mean) * rstd * w.data[k]! + (b ? b.data[k]! : 0);
    }
    means.data[r] = mean;
    rstds.data[r] = rstd;
  }
  return centered ? [y, means, rstds] : [y, rstds];
}

function rope(x: NDArray, cos: NDArray, sin: NDArray, inverse: boolean): NDArray {
  const hd = x.shape[x.shape.length - 1]!;
  const t = x.shape[x.shape.length - 2]!;
  const half = hd / 2;
  const out = ndarray(x.shape);
  const rows = x.data.length / hd;
  for (let r = 0; r < rows; r++) {
    const pos = r % t;
    for (let k = 0; k < half; k++) {
      const c = cos.data[pos * half + k]!;
      const s = inverse ? -sin.data[pos * half + k]! : sin.data[pos * half + k]!;
      const x1 = x.data[r * hd + k]!;
      const x2 = x.data[r * hd + half + k]!;
      out.data[r * hd + k] = x1 * c - x2 * s;
      out.data[r * hd + half + k] = x2 * c + x1 * s;
    }
  }
  return out;
}

function crossEntropy(logits: NDArray, targets: NDArray): NDArray {
  const v = logits.shape[logits.shape.length - 1]!;
  const logp = softmaxAlong(logits, logits.shape.length - 1, true);
  const out = ndarray(logits.shape.slice(0, -1));
  for (let r = 0; r < out.data.length; r++) out.data[r] = -logp.data[r * v + targets.data[r]!]!;
  return out;
}

function crossEntropyGrad(logits: NDArray, targets: NDArray, dnll: NDArray): NDArray {
  const v = logits.shape[logits.shape.length - 1]!;
  const p = softmaxAlong(logits, logits.shape.length - 1, false);
  for (let r = 0; r < dnll.data.length; r++) {
    p.data[r * v + targets.data[r]!]! -= 1;
    for (let k = 0; k < v; k++) p.data[r * v + k] = p.data[r * v + k]! * dnll.data[r]!;
  }
  return p;
}

function scatterAddRows(updates: NDArray, indices: NDArray, rows: number): NDArray {
  const d = updates.shape[updates.shape.length - 1]!;
  const out = ndarray([rows, d]);
  for (let j = 0; j < indices.data.length; j++) {
    const row = indices.data[j]!;
    for (let k = 0; k < d; k++) out.data[row * d + k]! += updates.data[j * d + k]!;
  }
  return out;
}

/** Float64 reference semantics of every op (the ONNX lowering must agree with these). */
export function evaluateOp(
  op: OpType,
  xs: readonly NDArray[],
  attrs: Attrs,
  outTypes: readonly TensorType[],
): NDArray[] {
  const x = xs[0]!;
  const y = xs[1]!;
  switch (op) {
    case "Add":
      return [zipWith(x, y, (a, b) => a + b)];
    case "Sub":
      return [zipWith(x, y, (a, b) => a - b)];
    case "Mul":
      return [zipWith(x, y, (a, b) => a * b)];
    case "Div":
      return [zipWith(x, y, (a, b) => a / b)];
    case "Max":
      return [zipWith(x, y, Math.max)];
    case "Min":
      return [zipWith(x, y, Math.min)];
    case "Equal":
      return [zipWith(x, y, (a, b) => (a === b ? 1 : 0))];
    case "Less":
      return [zipWith(x, y, (a, b) => (a < b ? 1 : 0))];
    case "Greater":
      return [zipWith(x, y, (a, b) => (a > b ? 1 : 0))];
    case "Neg":
      return [map(x, (a) => -a)];
    case "Exp":
      return [map(x, Math.exp)];
    case "Log":
      return [map(x, Math.log)];
    case "Sqrt":
      return [map(x, Math.sqrt)];
    case "Reciprocal":
      return [map(x, (a) => 1 / a)];
    case "Tanh":
      return [map(x, Math.tanh)];
    case "Erf":
      return [map(x, erf)];
    case "Sigmoid":
      return [map(x, (a) => 1 / (1 + Math.exp(-a)))];
    case "Relu":
      return [map(x, (a) => Math.max(a, 0))];
    case "Abs":
      return [map(x, Math.abs)];
    case "Gelu":
      return [map(x, (a) => gelu(a, attrs.approximate === "tanh"))];
    case "Silu":
      return [map(x, (a) => a / (1 + Math.exp(-a)))];
    case "Cast":
      return [map(x, (a) => castValue(a, attrDType(attrs, "to")))];
    case "Where": {
      const shape = broadcastConcrete(broadcastConcrete(x.shape, y.shape), xs[2]!.shape);
      const c = broadcastTo(x, shape);
      const a = broadcastTo(y, shape);
      const b = broadcastTo(xs[2]!, shape);
      return [map(c, (v, i) => (v !== 0 ? a.data[i]! : b.data[i]!))];
    }
    case "MatMul":
      return [matmul(x, y)];
    case "Gemm": {
      const a = attrs.transA ? transpose(x, [1, 0]) : x;
      const b = attrs.transB ? transpose(y, [1, 0]) : y;
      return [matmul(a, b)];
    }
    case "ReduceSum":
      return [reduce(x, attrNumbers(attrs, "axes"), attrBool(attrs, "keepdims"), "sum")];
    case "ReduceMean":
      return [reduce(x, attrNumbers(attrs, "axes"), attrBool(attrs, "keepdims"), "mean")];
    case "ReduceMax":
      return [reduce(x, attrNumbers(attrs, "axes"), attrBool(attrs, "keepdims"), "max")];
    case "ReduceSumSquare":
      return [
        reduce(
          map(x, (a) => a * a),
          attrNumbers(attrs, "axes"),
          attrBool(attrs, "keepdims"),
          "sum",
        ),
      ];
    case "Reshape":
    case "ReshapeAs":
      return [{ shape: concreteOf(outTypes[0]!, x, y, op), data: x.data }];
    case "ExpandAs":
      return [broadcastTo(x, y.shape)];
    case "Transpose":
      return [transpose(x, attrNumbers(attrs, "perm"))];
    case "Slice":
      return [slice(x, attrs)];
    case "Concat":
      return [concat(xs, attrNumber(attrs, "axis"))];
    case "Split": {
      const axis = attrNumber(attrs, "axis");
      let start = 0;
      return attrNumbers(attrs, "sizes").map((size) => {
        start += size;
        return slice(x, { axes: [axis], starts: [start - size], ends: [start] });
      });
    }
    case "Gather":
      return [gather(x, y, attrNumber(attrs, "axis"))];
    case "ScatterAddRows":
      return [scatterAddRows(x, y, attrNumber(attrs, "rows"))];
    case "Softmax":
      return [softmaxAlong(x, attrNumber(attrs, "axis"), false)];
    case "LogSoftmax":
      return [softmaxAlong(x, attrNumber(attrs, "axis"), true)];
    case "LayerNorm":
      return layerNorm(x, y, xs[2], attrNumber(attrs, "eps"), true);
    case "RMSNorm":
      return layerNorm(x, y, undefined, attrNumber(attrs, "eps"), false);
    case "Rope":
      return [rope(x, y, xs[2]!, attrBool(attrs, "inverse"))];
    case "CrossEntropy":
      return [crossEntropy(x, y)];
    case "CrossEntropyGrad":
      return [crossEntropyGrad(x, y, xs[2]!)];
    default:
      return op satisfies never;
  }
}

/** Concrete output shape of a reshape: the target's static dims, the remaining one from the element count. */
function concreteOf(out: TensorType, x: NDArray, like: NDArray | undefined, op: OpType): number[] {
  if (op === "ReshapeAs") return [...like!.shape];
  const known = out.shape.reduce<number>((a, d) => (typeof d === "number" ? a * d : a), 1);
  const free = out.shape.filter((d) => typeof d !== "number").length;
  if (free > 1) throw new Error("reshape with more than one symbolic dimension");
  return out.shape.map((d) => (typeof d === "number" ? d : sizeOf(x.shape) / known));
}
