import { ValidationError } from "@flock/core";
import type { Parameter } from "@flock/engine";

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
  layout.names.forEach((name, i) => {
    const start = layout.offsets[i]!;
    const shape = [...layout.shapes[i]!];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let j = 0; j < data.length; j++) data[j] = flat[start + j]!;
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
 * Σ wᵢ·xᵢ / Σ wᵢ over vectors, accumulated in float64 (Flower's `aggregate`: the sample-weighted mean).
 * Throws FL_NO_WEIGHT when the weights sum to zero.
 */
export function weightedMeanOf(
  vectors: readonly ArrayLike<number>[],
  weights: readonly number[],
): Float64Array {
  if (vectors.length === 0) throw new ValidationError("FL_NO_UPDATES", "no updates to average");
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) {
    throw new ValidationError("FL_NO_WEIGHT", "the updates' weights sum to zero", {
      hint: "every update must report numExamples > 0",
    });
  }
  const n = vectors[0]!.length;
  const acc = new Float64Array(n);
  vectors.forEach((v, k) => {
    const w = weights[k]! / total;
    for (let i = 0; i < n; i++) acc[i]! += w * v[i]!;
  });
  return acc;
}
