import type { Dim } from "./dim.ts";
import type { GraphDType } from "./dtype.ts";

/** Every operation the IR knows. Each backend (reference interpreter, autodiff, ONNX lowering) has one entry per op. */
export type OpType =
  | "Add"
  | "Sub"
  | "Mul"
  | "Div"
  | "Max"
  | "Min"
  | "Equal"
  | "Less"
  | "Greater"
  | "Neg"
  | "Exp"
  | "Log"
  | "Sqrt"
  | "Reciprocal"
  | "Tanh"
  | "Erf"
  | "Sigmoid"
  | "Relu"
  | "Abs"
  | "Cast"
  | "Where"
  | "MatMul"
  | "Gemm"
  | "ReduceSum"
  | "ReduceMean"
  | "ReduceMax"
  | "ReduceSumSquare"
  | "Reshape"
  | "ReshapeAs"
  | "ExpandAs"
  | "Transpose"
  | "Slice"
  | "Concat"
  | "Split"
  | "Gather"
  | "ScatterAddRows"
  | "Softmax"
  | "LogSoftmax"
  | "LayerNorm"
  | "RMSNorm"
  | "Gelu"
  | "Silu"
  | "Rope"
  | "CrossEntropy"
  | "CrossEntropyGrad";

/** Attribute values an op may carry. */
export type AttrValue = number | boolean | string | readonly number[] | readonly Dim[];
export type Attrs = Readonly<Record<string, AttrValue>>;

/** Attribute readers that fail loudly when a node was built without the attribute. */
export function attrNumber(attrs: Attrs, key: string): number {
  const value = attrs[key];
  if (typeof value !== "number") throw new TypeError(`attribute ${key} must be a number`);
  return value;
}

export function attrNumbers(attrs: Attrs, key: string): number[] {
  const value = attrs[key];
  if (!Array.isArray(value)) throw new TypeError(`attribute ${key} must be a list`);
  return value as number[];
}

export function attrDims(attrs: Attrs, key: string): Dim[] {
  const value = attrs[key];
  if (!Array.isArray(value)) throw new TypeError(`attribute ${key} must be a list of dims`);
  return value as Dim[];
}

export function attrBool(attrs: Attrs, key: string): boolean {
  return attrs[key] === true;
}

export function attrDType(attrs: Attrs, key: string): GraphDType {
  return attrs[key] as GraphDType;
}
