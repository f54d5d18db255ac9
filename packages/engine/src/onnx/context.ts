import onnxProto, { type onnx } from "onnx-proto";
import type { Dim } from "../graph/dim.ts";
import type { GraphDType } from "../graph/dtype.ts";
import type { Node, Tensor } from "../graph/graph.ts";
import { ONNX_DTYPE, rawBytes } from "./dtypes.ts";

/** An ONNX attribute value: ints, floats, strings and lists of ints. */
export type OnnxAttr = number | { float: number } | string | readonly number[];

/** Collects ONNX nodes and initializers while a graph is lowered, and names every node for the source map. */
export class LoweringContext {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  /** ONNX node name → `file:line` of the IR node that produced it. */
  readonly sourceMap: Record<string, string> = {};
  private readonly names = new Map<Tensor, string>();
  private counter = 0;
  private current: Node | undefined;
  private part = 0;

  /** The ONNX value name of an IR tensor. */
  nameOf(t: Tensor): string {
    let name = this.names.get(t);
    if (name === undefined) {
      name = t.origin === "input" ? t.inputName! : `t${t.id}`;
      this.names.set(t, name);
    }
    return name;
  }

  /** Give a node-computed tensor a chosen name (a graph output), unless it already has one. */
  assignName(t: Tensor, name: string): boolean {
    if (this.names.has(t) || t.origin !== "node") return false;
    this.names.set(t, name);
    return true;
  }

  /** A fresh intermediate value name. */
  fresh(hint = "tmp"): string {
    return `${hint}_${this.counter++}`;
  }

  /** Start lowering an IR node: ONNX nodes added now carry its name and source. */
  begin(node: Node): void {
    this.current = node;
    this.part = 0;
  }

  /** Add one ONNX node. */
  add(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Record<string, OnnxAttr> = {},
  ): void {
    const owner = this.current;
    const name = owner
      ? this.part++ === 0
        ? owner.name
        : `${owner.name}/${this.part - 1}`
      : this.fresh(opType);
    if (owner) this.sourceMap[name] = owner.source;
    this.nodes.push({
      name,
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    });
  }

  /** Add a node with one fresh output and return its name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, OnnxAttr> = {}): string {
    const out = this.fresh(opType);
    this.add(opType, inputs, [out], attrs);
    return out;
  }

  /** An int64 initializer (shapes, axes, indices), returned by name. */
  int64s(values: readonly number[], shape: readonly number[] = [values.length]): string {
    return this.initializer(values, shape, "int64");
  }

  /** A scalar (rank 0) initializer in the given dtype. */
  scalar(value: number, dtype: GraphDType): string {
    return this.initializer([value], [], dtype);
  }

  /** Add an initializer and return its name. */
  initializer(values: ArrayLike<number>, shape: readonly number[], dtype: GraphDType, name?: string): string {
    const id = name ?? this.fresh("const");
    this.initializers.push({
      name: id,
      dims: [...shape],
      dataType: ONNX_DTYPE[dtype],
      rawData: rawBytes(values, dtype),
    });
    return id;
  }

  /** Target shape for Reshape: static dims as is, the one symbolic dim as −1. */
  reshapeDims(shape: readonly Dim[]): string {
    const symbolic = shape.filter((d) => typeof d !== "number").length;
    if (symbolic > 1) throw new Error("Reshape to a shape with more than one symbolic dimension");
    return this.int64s(shape.map((d) => (typeof d === "number" ? d : -1)));
  }
}

function attribute(name: string, value: OnnxAttr): onnx.IAttributeProto {
  const T = onnxProto.onnx.AttributeProto.AttributeType;
  if (typeof value === "number") return { name, type: T.INT, i: value };
  if (typeof value === "string") return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: [...(value as number[])] };
  return { name, type: T.FLOAT, f: (value as { float: number }).float };
}
