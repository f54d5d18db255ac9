import { ValidationError } from "@flock/core";
import type { Parameter } from "@flock/engine";
import { simdWeightedSum } from "./simdMean.ts";

/**
 * Model parameters as they travel in a federation: the engine's named float32 tensors (Flower calls this an
 * `ArrayRecord`). Every update of a round has the same names, in the same order, with the same shapes.
 */
export type Arrays = ReadonlyMap<string, Parameter>;

/** The names and shapes of a set of arrays: what every update of a round must match. */
export interface ArraysLayout {
  readonly names: readonly string[];
  readonly shapes: readonly (readonly number[])[];
  /** Offset of each array in the flat vector, and the total length. */
  readonly offsets: readonly number[];
  readonly size: number;
}

export function layoutOf(arrays: Arrays): ArraysLayout {
  const names: string[] = [];
  const shapes: number[][] = [];
  const offsets: number[] = [];
  let size = 0;
  for (const [name, p] of arrays) {
    names.push(name);
    shapes.push([...p.shape]);
    offsets.push(size);
    size += p.data.length;
  }
  return { names, shapes, offsets, size };
}

/** Throws FL_ARRAYS_MISMATCH unless `arrays` has exactly the names and shapes of `layout`, in order. */
export function assertLayout(layout: ArraysLayout, arrays: Arrays, who = "an update"): void {
  if (arrays.size !== layout.names.length) {
    throw new ValidationError(
      "FL_ARRAYS_MISMATCH",
      `${who} has ${arrays.size} arrays; the model has ${layout.names.length}`,
      { hint: "send back every array of the model you were sent, with the same names and shapes" },
    );
  }
  let i = 0;
  for (const [name, p] of arrays) {
    const shape = layout.shapes[i]!;
    if (
      name !== layout.names[i] ||
      p.shape.length !== shape.length ||
      p.shape.some((d, j) => d !== shape[j])
    ) {
      throw new ValidationError(
        "FL_ARRAYS_MISMATCH",
        `${who}: array ${i} is ${name} [${p.shape.join(", ")}], expected ${layout.names[i]} [${shape.join(", ")}]`,
        { hint: "send back every array of the model you were sent, with the same names and shapes" },
      );
    }
    if (p.data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new ValidationError(
        "FL_ARRAYS_MISMATCH",
        `${who}: array ${name} has ${p.data.length} elements for shape [${shape.join(", ")}]`,
      );
    }
    i++;
  }
}

/** All arrays concatenated into one vector (a copy), in layout order. */
export function flatten(arrays: Arrays, out?: Float32Array): Float32Array {
  let size = 0;
  for (const p of arrays.values()) size += p.data.length;
  const flat = out ?? new Float32Array(size);
  let offset = 0;
  for (const p of arrays.values()) {
    flat.set(p.data, offset);
    offset += p.data.length;
  }
  return flat;
}

/** A vector cut back into named arrays of `layout` (copies, so the result owns its data). */
export function unflatten(layout: ArraysLayout, flat: ArrayLike<number>): Map<string, Parameter> {
  if (flat.length !== layout.size) {
    throw new ValidationError(
      "FL_ARRAYS_MISMATCH",
      `a vector of ${flat.length} values for a model of ${layout.size}`,
    );
  }
  const out = new Map<string, Parameter>();
  const typed = ArrayBuffer.isView(flat) ? (flat as Float32Array | Float64Array) : undefined;
  layout.names.forEach((name, i) => {
    const start = layout.offsets[i]!;
    const shape = [...layout.shapes[i]!];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    // A typed source is converted natively (the same ToFloat32 rounding as an element-wise assignment).
    if (typed) data.set(typed.subarray(start, start + data.length));
    else for (let j = 0; j < data.length; j++) data[j] = flat[start + j]!;
    out.set(name, { shape, data });
  });
  return out;
}

/** A deep copy. */
export function copyArrays(arrays: Arrays): Map<string, Parameter> {
  return new Map(
    [...arrays].map(([name, p]) => [name, { shape: [...p.shape], data: Float32Array.from(p.data) }]),
  );
}

/**
 * Whether every value is finite (no NaN, no ±Infinity). For float32 data this is the finiteness of the sum
 * in float64 — a NaN or an infinity makes the sum non-finite, and finite float32 values (|x| < 2¹²⁸) cannot
 * overflow a float64 sum of fewer than 2⁸⁹⁰ terms — summed in four lanes so the loop runs at memory speed.
 */
export function allFinite(data: ArrayLike<number>): boolean {
  if (!(data instanceof Float32Array)) {
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return false;
    return true;
  }
  const n = data.length;
  const end = n - (n % 4);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let i = 0; i < end; i += 4) {
    s0 += data[i]!;
    s1 += data[i + 1]!;
    s2 += data[i + 2]!;
    s3 += data[i + 3]!;
  }
  for (let i = end; i < n; i++) s0 += data[i]!;
  return Number.isFinite(s0 + s1 + s2 + s3);
}

/**
 * Σ wᵢ·xᵢ / Σ wᵢ over vectors, accumulated in float64 (Flower's `aggregate`: the sample-weighted mean).
 * Throws FL_NO_WEIGHT when the weights sum to zero. With `out` the mean is written there (e.g. a slice of a
 * longer vector) and returned.
 *
 * Every coordinate is computed as ((0 + w₀x₀) + w₁x₁) + … in vector order, whatever the batching: the
 * coordinates are taken in cache-sized blocks, the vectors four at a time with the running sum kept in a
 * register between them, so the float64 accumulators stay in cache and are loaded and stored once per four
 * vectors — the same result to the bit as the one-vector-at-a-time loop (`weightedMeanReference`). Large
 * float32 inputs go through WebAssembly SIMD (`simdWeightedSum`), two coordinates per instruction with the
 * same operations in the same order.
 */
export function weightedMeanOf(
  vectors: readonly ArrayLike<number>[],
  weights: readonly number[],
  out?: Float64Array,
): Float64Array {
  if (vectors.length === 0) throw new ValidationError("FL_NO_UPDATES", "no updates to average");
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) {
    throw new ValidationError("FL_NO_WEIGHT", "the updates' weights sum to zero", {
      hint: "every update must report numExamples > 0",
    });
  }
  const n = vectors[0]!.length;
  const acc = out ?? new Float64Array(n);
  const w = weights.map((x) => x / total);
  if (n * vectors.length >= SIMD_MIN_VALUES && vectors.every((v) => v instanceof Float32Array)) {
    if (simdWeightedSum(acc, vectors as readonly Float32Array[], w)) return acc;
  }
  // Blocks of coordinates small enough that their accumulators stay in the L1 cache while every vector
  // passes over them: each input is read once from memory, the accumulators never leave the cache.
  for (let start = 0; start < n; start += MEAN_BLOCK) {
    const end = Math.min(n, start + MEAN_BLOCK);
    if (out) acc.fill(0, start, end);
    let k = 0;
    for (; k + 4 <= vectors.length; k += 4) {
      accumulate4(acc, start, end, vectors, w, k);
    }
    const rest = vectors.length - k;
    if (rest === 3) accumulate3(acc, start, end, vectors, w, k);
    else if (rest === 2) accumulate2(acc, start, end, vectors, w, k);
    else if (rest === 1) accumulate1(acc, start, end, vectors[k]!, w[k]!);
  }
  return acc;
}

/** Below this many values the SIMD path's block copies cost more than they save. */
const SIMD_MIN_VALUES = 1 << 15;

/** Coordinates per block of `weightedMeanOf` (16 KiB of float64 accumulators). */
const MEAN_BLOCK = 2048;

type Vectors = readonly ArrayLike<number>[];

function accumulate4(
  acc: Float64Array,
  start: number,
  end: number,
  v: Vectors,
  w: readonly number[],
  k: number,
) {
  const v0 = v[k]!;
  const v1 = v[k + 1]!;
  const v2 = v[k + 2]!;
  const v3 = v[k + 3]!;
  const w0 = w[k]!;
  const w1 = w[k + 1]!;
  const w2 = w[k + 2]!;
  const w3 = w[k + 3]!;
  for (let i = start; i < end; i++) {
    let a = acc[i]!;
    a += w0 * v0[i]!;
    a += w1 * v1[i]!;
    a += w2 * v2[i]!;
    a += w3 * v3[i]!;
    acc[i] = a;
  }
}

function accumulate3(
  acc: Float64Array,
  start: number,
  end: number,
  v: Vectors,
  w: readonly number[],
  k: number,
) {
  const v0 = v[k]!;
  const v1 = v[k + 1]!;
  const v2 = v[k + 2]!;
  const w0 = w[k]!;
  const w1 = w[k + 1]!;
  const w2 = w[k + 2]!;
  for (let i = start; i < end; i++) {
    let a = acc[i]!;
    a += w0 * v0[i]!;
    a += w1 * v1[i]!;
    a += w2 * v2[i]!;
    acc[i] = a;
  }
}

function accumulate2(
  acc: Float64Array,
  start: number,
  end: number,
  v: Vectors,
  w: readonly number[],
  k: number,
) {
  const v0 = v[k]!;
  const v1 = v[k + 1]!;
  const w0 = w[k]!;
  const w1 = w[k + 1]!;
  for (let i = start; i < end; i++) {
    let a = acc[i]!;
    a += w0 * v0[i]!;
    a += w1 * v1[i]!;
    acc[i] = a;
  }
}

function accumulate1(acc: Float64Array, start: number, end: number, v0: ArrayLike<number>, w0: number) {
  for (let i = start; i < end; i++) acc[i]! += w0 * v0[i]!;
}

/** The weighted mean one vector at a time: the slow reference `weightedMeanOf` is tested against. */
export function weightedMeanReference(
  vectors: readonly ArrayLike<number>[],
  weights: readonly number[],
): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const acc = new Float64Array(vectors[0]!.length);
  vectors.forEach((v, k) => {
    const w = weights[k]! / total;
    for (let i = 0; i < acc.length; i++) acc[i]! += w * v[i]!;
  });
  return acc;
}
