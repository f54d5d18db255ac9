import { EngineError } from "@flock/core";

/**
 * One dimension of a tensor shape: a number, or a symbol such as `"batch"` (bound when the graph runs).
 * A symbolic dimension may carry an integer factor, written `"64*batch"` (a flattened `[batch, 64]`).
 */
export type Dim = number | string;
export type Shape = readonly Dim[];

interface SymbolicDim {
  factor: number;
  symbol: string;
}

function parseSymbolic(dim: string): SymbolicDim {
  const star = dim.indexOf("*");
  if (star < 0) return { factor: 1, symbol: dim };
  return { factor: Number(dim.slice(0, star)), symbol: dim.slice(star + 1) };
}

function formatSymbolic(factor: number, symbol: string): Dim {
  return factor === 1 ? symbol : `${factor}*${symbol}`;
}

/** Multiply two dimensions (at most one of them symbolic). */
export function mulDim(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a * b;
  if (typeof a === "number")
    return a === 0
      ? 0
      : formatSymbolic(a * parseSymbolic(b as string).factor, parseSymbolic(b as string).symbol);
  if (typeof b === "number") return mulDim(b, a);
  throw new EngineError("SHAPE_TWO_SYMBOLS", `cannot multiply two symbolic dimensions ${a} and ${b}`, {
    hint: "give a graph at most one symbolic dimension (the batch)",
  });
}

/** Divide a dimension by an integer, exactly. */
export function divDim(a: Dim, b: number): Dim {
  if (typeof a === "number") {
    if (a % b !== 0) throw shapeError(`${a} is not divisible by ${b}`);
    return a / b;
  }
  const { factor, symbol } = parseSymbolic(a);
  if (factor % b !== 0) throw shapeError(`${a} is not divisible by ${b}`);
  return formatSymbolic(factor / b, symbol);
}

/** Product of all dimensions of a shape. */
export function shapeSize(shape: Shape): Dim {
  let size: Dim = 1;
  for (const d of shape) size = mulDim(size, d);
  return size;
}

/** Substitute symbol values, giving a concrete shape. */
export function concreteShape(shape: Shape, bindings: Readonly<Record<string, number>>): number[] {
  return shape.map((d) => {
    if (typeof d === "number") return d;
    const { factor, symbol } = parseSymbolic(d);
    const value = bindings[symbol];
    if (value === undefined) throw shapeError(`symbolic dimension ${symbol} is not bound`);
    return factor * value;
  });
}

/** Symbol names used in a shape. */
export function shapeSymbols(shape: Shape): string[] {
  return shape.filter((d): d is string => typeof d === "string").map((d) => parseSymbolic(d).symbol);
}

/** Numpy-style broadcast of two shapes. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw shapeError(`shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
  }
  return out;
}

/** Human-readable shape, e.g. `[batch, 64, 128]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function shapeError(message: string): EngineError {
  return new EngineError("SHAPE_MISMATCH", message, {
    hint: "check the shapes of the tensors passed to this op (the error names the op and its caller)",
  });
}
