import { broadcastShapes, type Dim, divDim, formatShape, type Shape, shapeError, shapeSize } from "./dim.ts";
import type { GraphDType } from "./dtype.ts";
import { type Attrs, attrDims, attrDType, attrNumber, attrNumbers, type OpType } from "./opType.ts";

/** Type of one tensor: element type and shape. */
export interface TensorType {
  dtype: GraphDType;
  shape: Shape;
}

function at<T>(list: readonly T[], index: number): T {
  const value = list[index];
  if (value === undefined) throw shapeError(`missing input ${index}`);
  return value;
}

function sameDType(inputs: readonly TensorType[], op: OpType): GraphDType {
  const dtype = at(inputs, 0).dtype;
  for (const input of inputs) {
    if (input.dtype !== dtype) throw shapeError(`${op}: mixed dtypes ${dtype} and ${input.dtype}`);
  }
  return dtype;
}

function matmulShape(a: Shape, b: Shape): Dim[] {
  if (a.length < 2 || b.length < 2)
    throw shapeError(`MatMul needs rank ≥ 2, got ${formatShape(a)} and ${formatShape(b)}`);
  const [m, k] = a.slice(-2) as [Dim, Dim];
  const [k2, n] = b.slice(-2) as [Dim, Dim];
  if (k !== k2) throw shapeError(`MatMul inner dimensions differ: ${formatShape(a)} @ ${formatShape(b)}`);
  return [...broadcastShapes(a.slice(0, -2), b.slice(0, -2)), m, n];
}

function reduceShape(shape: Shape, axes: readonly number[], keepdims: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

/** Reshape target: `-1` is inferred from the element count (possibly symbolic). */
export function reshapeTarget(input: Shape, target: readonly Dim[]): Dim[] {
  const unknown = target.indexOf(-1);
  if (unknown < 0) return [...target];
  let known: number = 1;
  for (const d of target) if (d !== -1) known *= typeof d === "number" ? d : Number.NaN;
  if (Number.isNaN(known))
    throw shapeError(`Reshape target ${formatShape(target)} mixes -1 and symbolic dimensions`);
  const out = [...target];
  out[unknown] = divDim(shapeSize(input), known);
  return out;
}

/** Shape and dtype inference for one op. */
export function inferTypes(op: OpType, inputs: readonly TensorType[], attrs: Attrs): TensorType[] {
  const first = () => at(inputs, 0);
  switch (op) {
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
    case "Max":
    case "Min":
      return [{ dtype: sameDType(inputs, op), shape: broadcastShapes(first().shape, at(inputs, 1).shape) }];
    case "Equal":
    case "Less":
    case "Greater":
      sameDType(inputs, op);
      return [{ dtype: "bool", shape: broadcastShapes(first().shape, at(inputs, 1).shape) }];
    case "Neg":
    case "Exp":
    case "Log":
    case "Sqrt":
    case "Reciprocal":
    case "Tanh":
    case "Erf":
    case "Sigmoid":
    case "Relu":
    case "Abs":
    case "Gelu":
    case "Silu":
    case "Softmax":
    case "LogSoftmax":
      return [{ ...first() }];
    case "Cast":
      return [{ dtype: attrDType(attrs, "to"), shape: first().shape }];
    case "Where": {
      if (first().dtype !== "bool") throw shapeError("Where: condition must be bool");
      const dtype = sameDType(inputs.slice(1), op);
      const shape = broadcastShapes(broadcastShapes(first().shape, at(inputs, 1).shape), at(inputs, 2).shape);
      return [{ dtype, shape }];
    }
    case "MatMul":
      return [{ dtype: sameDType(inputs, op), shape: matmulShape(first().shape, at(inputs, 1).shape) }];
    case "Gemm": {
      const a = first().shape;
      const b = at(inputs, 1).shape;
      if (a.length !== 2 || b.length !== 2) throw shapeError("Gemm needs two matrices");
      const [m, ka] = attrs.transA ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
      const [kb, n] = attrs.transB ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
      if (ka !== kb)
        throw shapeError(`Gemm inner dimensions differ: ${formatShape(a)} and ${formatShape(b)}`);
      return [{ dtype: sameDType(inputs, op), shape: [m, n] }];
    }
    case "ReduceSum":
    case "ReduceMean":
    case "ReduceMax":
    case "ReduceSumSquare":
      return [
        {
          dtype: first().dtype,
          shape: reduceShape(first().shape, attrNumbers(attrs, "axes"), attrs.keepdims === true),
        },
      ];
    case "Reshape": {
      const target = reshapeTarget(first().shape, attrDims(attrs, "shape"));
      if (String(shapeSize(target)) !== String(shapeSize(first().shape))) {
        throw shapeError(
          `Reshape ${formatShape(first().shape)} → ${formatShape(target)} changes the element count`,
        );
      }
      return [{ dtype: first().dtype, shape: target }];
    }
    case "ReshapeAs":
    case "ExpandAs":
      return [{ dtype: first().dtype, shape: at(inputs, 1).shape }];
    case "Transpose":
      return [{ dtype: first().dtype, shape: attrNumbers(attrs, "perm").map((p) => at(first().shape, p)) }];
    case "Slice": {
      const shape = [...first().shape];
      const axes = attrNumbers(attrs, "axes");
      const starts = attrNumbers(attrs, "starts");
      const ends = attrNumbers(attrs, "ends");
      axes.forEach((axis, i) => {
        const size = shape[axis];
        if (typeof size !== "number") throw shapeError("Slice along a symbolic dimension is not supported");
        shape[axis] = Math.min(ends[i]!, size) - starts[i]!;
      });
      return [{ dtype: first().dtype, shape }];
    }
    case "Concat": {
      const axis = attrNumber(attrs, "axis");
      const shape = [...first().shape];
      let total = 0;
      for (const input of inputs) {
        const d = input.shape[axis];
        if (typeof d !== "number") throw shapeError("Concat along a symbolic dimension is not supported");
        total += d;
      }
      shape[axis] = total;
      return [{ dtype: sameDType(inputs, op), shape }];
    }
    case "Split": {
      const axis = attrNumber(attrs, "axis");
      const sizes = attrNumbers(attrs, "sizes");
      if (sizes.reduce((a, b) => a + b, 0) !== first().shape[axis]) {
        throw shapeError(
          `Split sizes [${sizes.join(", ")}] do not add up to dimension ${axis} of ${formatShape(first().shape)}`,
        );
      }
      return sizes.map((size) => {
        const shape = [...first().shape];
        shape[axis] = size;
        return { dtype: first().dtype, shape };
      });
    }
    case "Gather": {
      const data = first().shape;
      const axis = attrNumber(attrs, "axis");
      return [
        {
          dtype: first().dtype,
          shape: [...data.slice(0, axis), ...at(inputs, 1).shape, ...data.slice(axis + 1)],
        },
      ];
    }
    case "ScatterAddRows": {
      const updates = first().shape;
      return [{ dtype: first().dtype, shape: [attrNumber(attrs, "rows"), at(updates, updates.length - 1)] }];
    }
    case "LayerNorm": {
      const stat = [...first().shape.slice(0, -1), 1];
      return [{ ...first() }, { dtype: first().dtype, shape: stat }, { dtype: first().dtype, shape: stat }];
    }
    case "RMSNorm":
      return [{ ...first() }, { dtype: first().dtype, shape: [...first().shape.slice(0, -1), 1] }];
    case "Rope":
      return [{ ...first() }];
    case "CrossEntropy":
      return [{ dtype: first().dtype, shape: first().shape.slice(0, -1) }];
    case "CrossEntropyGrad":
      return [{ ...first() }];
    default:
      return op satisfies never;
  }
}
