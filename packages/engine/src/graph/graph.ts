import { EngineError } from "@flock/core";
import { type Dim, formatShape, type Shape, shapeError } from "./dim.ts";
import { type GraphDType, isFloat } from "./dtype.ts";
import { inferTypes } from "./infer.ts";
import type { Attrs, OpType } from "./opType.ts";
import { captureSource } from "./source.ts";

/** One operation in a graph: its op, inputs, outputs, attributes, and the `file:line` that built it. */
export interface Node {
  readonly graph: Graph;
  readonly id: number;
  readonly op: OpType;
  readonly inputs: readonly Tensor[];
  readonly outputs: Tensor[];
  readonly attrs: Attrs;
  /** Caller location, e.g. `attention.ts:42`. */
  readonly source: string;
  /** Stable name used in exported ONNX, e.g. `MatMul_17`. */
  readonly name: string;
}

/** Where a tensor comes from: a named graph input, a constant, or a node output. */
export type TensorOrigin = "input" | "constant" | "node";

/** A symbolic tensor in a graph; its methods add nodes and read like ordinary tensor code. */
export class Tensor {
  readonly graph: Graph;
  readonly id: number;
  readonly dtype: GraphDType;
  readonly shape: Shape;
  readonly origin: TensorOrigin;
  /** Producing node (origin "node"). */
  readonly node: Node | undefined;
  /** Input name (origin "input"). */
  readonly inputName: string | undefined;
  /** Values (origin "constant"), stored as float64 whatever the dtype. */
  readonly constant: Float64Array | undefined;

  constructor(
    graph: Graph,
    id: number,
    dtype: GraphDType,
    shape: Shape,
    origin: TensorOrigin,
    extra: { node?: Node; inputName?: string; constant?: Float64Array } = {},
  ) {
    this.graph = graph;
    this.id = id;
    this.dtype = dtype;
    this.shape = shape;
    this.origin = origin;
    this.node = extra.node;
    this.inputName = extra.inputName;
    this.constant = extra.constant;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** A static dimension (throws if symbolic). */
  dim(axis: number): number {
    const d = this.shape[axis < 0 ? this.rank + axis : axis];
    if (typeof d !== "number")
      throw shapeError(`dimension ${axis} of ${formatShape(this.shape)} is not static`);
    return d;
  }

  private binary(op: OpType, other: Tensor | number): Tensor {
    return this.graph.apply1(op, [this, this.graph.lift(other, this.dtype)]);
  }
  add(other: Tensor | number): Tensor {
    return this.binary("Add", other);
  }
  sub(other: Tensor | number): Tensor {
    return this.binary("Sub", other);
  }
  mul(other: Tensor | number): Tensor {
    return this.binary("Mul", other);
  }
  div(other: Tensor | number): Tensor {
    return this.binary("Div", other);
  }
  maximum(other: Tensor | number): Tensor {
    return this.binary("Max", other);
  }
  minimum(other: Tensor | number): Tensor {
    return this.binary("Min", other);
  }
  equal(other: Tensor | number): Tensor {
    return this.binary("Equal", other);
  }
  less(other: Tensor | number): Tensor {
    return this.binary("Less", other);
  }
  greater(other: Tensor | number): Tensor {
    return this.binary("Greater", other);
  }
  neg(): Tensor {
    return this.graph.apply1("Neg", [this]);
  }
  exp(): Tensor {
    return this.graph.apply1("Exp", [this]);
  }
  log(): Tensor {
    return this.graph.apply1("Log", [this]);
  }
  sqrt(): Tensor {
    return this.graph.apply1("Sqrt", [this]);
  }
  reciprocal(): Tensor {
    return this.graph.apply1("Reciprocal", [this]);
  }
  tanh(): Tensor {
    return this.graph.apply1("Tanh", [this]);
  }
  erf(): Tensor {
    return this.graph.apply1("Erf", [this]);
  }
  sigmoid(): Tensor {
    return this.graph.apply1("Sigmoid", [this]);
  }
  relu(): Tensor {
    return this.graph.apply1("Relu", [this]);
  }
  abs(): Tensor {
    return this.graph.apply1("Abs", [this]);
  }
  square(): Tensor {
    return this.mul(this);
  }
  /** GELU, exact (erf) or with the tanh approximation. */
  gelu(approximate: "none" | "tanh" = "none"): Tensor {
    return this.graph.apply1("Gelu", [this], { approximate });
  }
  /** SiLU (swish): x · sigmoid(x). */
  silu(): Tensor {
    return this.graph.apply1("Silu", [this]);
  }
  cast(to: GraphDType): Tensor {
    return to === this.dtype ? this : this.graph.apply1("Cast", [this], { to });
  }
  /** Numpy-style matrix product with broadcasting over leading dimensions. */
  matmul(other: Tensor): Tensor {
    return this.graph.apply1("MatMul", [this, other]);
  }
  /** 2-D product `op(this) · op(other)` where op transposes when asked (ONNX Gemm). */
  gemm(other: Tensor, options: { transA?: boolean; transB?: boolean } = {}): Tensor {
    return this.graph.apply1("Gemm", [this, other], {
      transA: options.transA === true,
      transB: options.transB === true,
    });
  }
  private axes(axes: number | readonly number[] | undefined): number[] {
    if (axes === undefined) return this.shape.map((_, i) => i);
    const list = typeof axes === "number" ? [axes] : [...axes];
    return list.map((a) => (a < 0 ? a + this.rank : a)).sort((a, b) => a - b);
  }
  sum(axes?: number | readonly number[], keepdims = false): Tensor {
    return this.graph.apply1("ReduceSum", [this], { axes: this.axes(axes), keepdims });
  }
  mean(axes?: number | readonly number[], keepdims = false): Tensor {
    return this.graph.apply1("ReduceMean", [this], { axes: this.axes(axes), keepdims });
  }
  /** Σ x² over axes (one pass; used for gradient norms). */
  sumSquares(axes?: number | readonly number[], keepdims = false): Tensor {
    return this.graph.apply1("ReduceSumSquare", [this], { axes: this.axes(axes), keepdims });
  }
  max(axes?: number | readonly number[], keepdims = false): Tensor {
    return this.graph.apply1("ReduceMax", [this], { axes: this.axes(axes), keepdims });
  }
  /** Reshape; `-1` infers one dimension, symbolic dimensions pass through by name. */
  reshape(shape: readonly Dim[]): Tensor {
    return this.graph.apply1("Reshape", [this], { shape: [...shape] });
  }
  /** Reshape to the (possibly symbolic) shape of another tensor with as many elements. */
  reshapeAs(like: Tensor): Tensor {
    return this.graph.apply1("ReshapeAs", [this, like]);
  }
  /** Broadcast to the shape of another tensor. */
  expandAs(like: Tensor): Tensor {
    return this.graph.apply1("ExpandAs", [this, like]);
  }
  transpose(perm: readonly number[]): Tensor {
    return this.graph.apply1("Transpose", [this], { perm: [...perm] });
  }
  /** Swap the last two axes. */
  transposeLast(): Tensor {
    const perm = this.shape.map((_, i) => i);
    perm[this.rank - 1] = this.rank - 2;
    perm[this.rank - 2] = this.rank - 1;
    return this.transpose(perm);
  }
  /** Elements `[start, end)` along one axis. */
  slice(axis: number, start: number, end: number): Tensor {
    const a = axis < 0 ? axis + this.rank : axis;
    return this.graph.apply1("Slice", [this], { axes: [a], starts: [start], ends: [end] });
  }
  /** Consecutive parts of the given sizes along one axis. */
  split(axis: number, sizes: readonly number[]): Tensor[] {
    return this.graph.apply("Split", [this], { axis: axis < 0 ? axis + this.rank : axis, sizes: [...sizes] });
  }
  /** Rows of a table picked by integer indices (embedding lookup when axis is 0). */
  gather(indices: Tensor, axis = 0): Tensor {
    return this.graph.apply1("Gather", [this, indices], { axis });
  }
  softmax(axis = -1): Tensor {
    return this.graph.apply1("Softmax", [this], { axis: axis < 0 ? axis + this.rank : axis });
  }
  logSoftmax(axis = -1): Tensor {
    return this.graph.apply1("LogSoftmax", [this], { axis: axis < 0 ? axis + this.rank : axis });
  }
  /** Layer normalization over the last axis with scale and bias. */
  layerNorm(weight: Tensor, bias: Tensor, eps = 1e-5): Tensor {
    return this.graph.apply("LayerNorm", [this, weight, bias], { eps })[0]!;
  }
  /** RMS normalization over the last axis: x / sqrt(mean(x²) + eps) · weight. */
  rmsNorm(weight: Tensor, eps = 1e-6): Tensor {
    return this.graph.apply("RMSNorm", [this, weight], { eps })[0]!;
  }
  /** Rotary position embedding (rotate-half layout, as Hugging Face Llama) over the last axis. */
  rope(cos: Tensor, sin: Tensor): Tensor {
    return this.graph.apply1("Rope", [this, cos, sin], { inverse: false });
  }
  /** Per-row negative log-likelihood of integer targets under softmax(this) over the last axis. */
  crossEntropy(targets: Tensor): Tensor {
    return this.graph.apply1("CrossEntropy", [this, targets]);
  }
}

/** A computation graph under construction; tensors made from it record their producers. */
export class Graph {
  readonly name: string;
  readonly nodes: Node[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: { name: string; tensor: Tensor }[] = [];
  /** When set, new nodes record this source instead of the caller (used by autodiff: "grad of …"). */
  sourceOverride: string | undefined;
  private nextId = 0;
  private readonly opCounts = new Map<OpType, number>();

  constructor(name = "graph") {
    this.name = name;
  }

  /** A named graph input (parameters, optimizer state and data are all inputs). */
  input(name: string, dtype: GraphDType, shape: readonly Dim[]): Tensor {
    if (this.inputs.some((t) => t.inputName === name)) {
      throw new EngineError("GRAPH_DUPLICATE_INPUT", `graph input ${name} is declared twice`, {
        hint: "give every input a unique name",
      });
    }
    const tensor = new Tensor(this, this.nextId++, dtype, [...shape], "input", { inputName: name });
    this.inputs.push(tensor);
    return tensor;
  }

  /** A constant tensor (values given in row-major order). */
  constant(values: ArrayLike<number>, shape: readonly number[], dtype: GraphDType = "float32"): Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values.length !== size)
      throw shapeError(`constant of shape ${formatShape(shape)} needs ${size} values`);
    return new Tensor(this, this.nextId++, dtype, [...shape], "constant", {
      constant: Float64Array.from(values),
    });
  }

  /** A scalar constant. */
  scalar(value: number, dtype: GraphDType = "float32"): Tensor {
    return this.constant([value], [], dtype);
  }

  /** A tensor, or a scalar constant of the given dtype for a plain number. */
  lift(value: Tensor | number, dtype: GraphDType): Tensor {
    return typeof value === "number" ? this.scalar(value, dtype) : value;
  }

  /** Mark a tensor as a named graph output. */
  output(name: string, tensor: Tensor): void {
    if (this.outputs.some((o) => o.name === name)) {
      throw new EngineError("GRAPH_DUPLICATE_OUTPUT", `graph output ${name} is declared twice`, {
        hint: "give every output a unique name",
      });
    }
    this.outputs.push({ name, tensor });
  }

  /** `cond ? a : b`, elementwise with broadcasting. */
  where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
    const dtype = typeof a === "number" ? (typeof b === "number" ? "float32" : b.dtype) : a.dtype;
    return this.apply1("Where", [cond, this.lift(a, dtype), this.lift(b, dtype)]);
  }

  /** Join tensors along an axis. */
  concat(tensors: readonly Tensor[], axis: number): Tensor {
    const rank = tensors[0]?.rank ?? 0;
    return this.apply1("Concat", tensors, { axis: axis < 0 ? axis + rank : axis });
  }

  /** Add a node and return its outputs (shapes inferred, caller's source location recorded). */
  apply(op: OpType, inputs: readonly Tensor[], attrs: Attrs = {}, source?: string): Tensor[] {
    for (const input of inputs) {
      if (input.graph !== this) {
        throw new EngineError("GRAPH_FOREIGN_TENSOR", `${op}: an input belongs to another graph`, {
          hint: "build every tensor of a computation from the same Graph",
        });
      }
    }
    const where = source ?? this.sourceOverride ?? captureSource();
    let types: ReturnType<typeof inferTypes>;
    try {
      types = inferTypes(op, inputs, attrs);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new EngineError("GRAPH_SHAPE_ERROR", `${op} at ${where}: ${message}`, {
        hint: "check the shapes and dtypes passed to this op",
        cause: error,
      });
    }
    const count = this.opCounts.get(op) ?? 0;
    this.opCounts.set(op, count + 1);
    const node: Node = {
      graph: this,
      id: this.nodes.length,
      op,
      inputs: [...inputs],
      outputs: [],
      attrs,
      source: where,
      name: `${op}_${count}`,
    };
    for (const type of types) {
      node.outputs.push(new Tensor(this, this.nextId++, type.dtype, type.shape, "node", { node }));
    }
    this.nodes.push(node);
    return node.outputs;
  }

  /** Like `apply` for single-output ops. */
  apply1(op: OpType, inputs: readonly Tensor[], attrs: Attrs = {}): Tensor {
    return this.apply(op, inputs, attrs)[0]!;
  }

  /** Nodes needed to compute the given tensors, in execution order. */
  nodesFor(targets: readonly Tensor[]): Node[] {
    const needed = new Set<Node>();
    const stack = [...targets];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (t.node && !needed.has(t.node)) {
        needed.add(t.node);
        stack.push(...t.node.inputs);
      }
    }
    return this.nodes.filter((n) => needed.has(n));
  }
}

/** True when gradients can flow through this tensor. */
export function isDifferentiable(t: Tensor): boolean {
  return isFloat(t.dtype);
}
