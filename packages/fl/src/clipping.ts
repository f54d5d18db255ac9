import { ValidationError } from "@flock/core";
import type { Parameter } from "@flock/engine";
import { type Arrays, assertLayout, layoutOf } from "./arrays.ts";

/** The Euclidean (L2) norm of a vector, accumulated in float64. */
export function l2Norm(vector: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i]!;
    sum += v * v;
  }
  return Math.sqrt(sum);
}

/** Throws FL_OPTION_INVALID unless `maxNorm` is a finite number > 0. */
export function assertClippingNorm(maxNorm: number, name = "clippingNorm"): number {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be a finite number > 0, got ${maxNorm}`, {
      hint: "pass the largest L2 norm an update may have, e.g. 1",
    });
  }
  return maxNorm;
}

/**
 * The factor that brings a vector of L2 norm `norm` within `maxNorm`: `min(1, maxNorm / norm)` (Flower's
 * `clip_inputs_inplace`, the "flat clipping" of McMahan et al. 2018, arXiv:1710.06963). A zero vector
 * keeps factor 1.
 */
export function clipFactor(norm: number, maxNorm: number): number {
  return norm > maxNorm ? maxNorm / norm : 1;
}

/**
 * Scales `vector` in place so its L2 norm is at most `maxNorm` (vectors already within it are left as they
 * are). Returns the factor applied.
 */
export function clipToNorm(vector: Float32Array | Float64Array, maxNorm: number): number {
  assertClippingNorm(maxNorm, "maxNorm");
  const factor = clipFactor(l2Norm(vector), maxNorm);
  if (factor !== 1) for (let i = 0; i < vector.length; i++) vector[i]! *= factor;
  return factor;
}

/** A node's model after clipping its update, with the update's norm before clipping and the factor. */
export interface ClippedModel {
  readonly arrays: Map<string, Parameter>;
  readonly norm: number;
  readonly factor: number;
}

/**
 * Flower's `compute_clip_model_update`: the update `local − global` is clipped to L2 norm `maxNorm` over all
 * arrays together and added back to `global`. Differences are taken and scaled in float64; an update
 * already within the norm comes back bit for bit. Throws FL_ARRAYS_MISMATCH when the layouts differ.
 */
export function clipModelUpdate(global: Arrays, local: Arrays, maxNorm: number): ClippedModel {
  assertClippingNorm(maxNorm, "maxNorm");
  assertLayout(layoutOf(global), local, "the clipped update");
  let sum = 0;
  const globals = [...global.values()];
  let i = 0;
  for (const p of local.values()) {
    const g = globals[i++]!.data;
    const x = p.data;
    for (let k = 0; k < x.length; k++) {
      const d = x[k]! - g[k]!;
      sum += d * d;
    }
  }
  const norm = Math.sqrt(sum);
  const factor = clipFactor(norm, maxNorm);
  const arrays = new Map<string, Parameter>();
  i = 0;
  for (const [name, p] of local) {
    const g = globals[i++]!.data;
    const data = new Float32Array(p.data.length);
    if (factor === 1) data.set(p.data);
    else for (let k = 0; k < data.length; k++) data[k] = g[k]! + factor * (p.data[k]! - g[k]!);
    arrays.set(name, { shape: [...p.shape], data });
  }
  return { arrays, norm, factor };
}
