import { ProtocolError, ValidationError } from "@flock/core";
import type { Rng } from "@flock/engine";

/**
 * Fixed-point encoding of a weighted update for summation modulo a power of two, as Flower's SecAgg+ does
 * (`flwr.common.secure_aggregation.quantization`, `secaggplus_mod._collect_masked_vectors`): the weight's
 * ratio r = w / maxWeight is quantized to q_r = round(r·Q); each value r·x is clipped to [−c, c], shifted to
 * [0, 2c] and stochastically rounded to an integer in [0, Q] (unbiased: E[q] = (r·x + c)·Q / 2c). Summing n
 * encodings gives Σ rᵢxᵢ = S·2c/Q − n·c and Σ rᵢ = Σ q_r / Q, so the mean is exact up to one step 2c/Q per
 * node and value.
 */
export interface QuantizationParameters {
  /** Values are clipped to [−clippingRange, clippingRange] before quantization (Flower default 8). */
  readonly clippingRange: number;
  /** Integers of one value lie in [0, quantizationRange] (Flower default 2²² = 4194304). */
  readonly quantizationRange: number;
  /** Arithmetic is modulo this power of two ≤ 2³² (Flower default 2³²). */
  readonly modulusRange: number;
  /** A node's weight is divided by this before quantization and capped at 1 (Flower default 1000). */
  readonly maxWeight: number;
}

/** Flower's SecAgg+ defaults. */
export const DEFAULT_QUANTIZATION: QuantizationParameters = {
  clippingRange: 8,
  quantizationRange: 2 ** 22,
  modulusRange: 2 ** 32,
  maxWeight: 1000,
};

/** Throws FL_OPTION_INVALID unless the parameters are usable (Flower's `_check_init_params`). */
export function checkQuantization(q: QuantizationParameters): void {
  const fail = (message: string, hint: string): never => {
    throw new ValidationError("FL_OPTION_INVALID", message, { hint });
  };
  if (!(q.clippingRange > 0) || !Number.isFinite(q.clippingRange)) {
    fail(`clippingRange must be a positive number, got ${q.clippingRange}`, "the default is 8");
  }
  if (!(q.maxWeight > 0) || !Number.isFinite(q.maxWeight)) {
    fail(`maxWeight must be a positive number, got ${q.maxWeight}`, "the default is 1000");
  }
  const m = q.modulusRange;
  if (!Number.isSafeInteger(m) || m < 2 || m > 2 ** 32 || 2 ** Math.round(Math.log2(m)) !== m) {
    fail(`modulusRange must be a power of two ≤ 2^32, got ${m}`, "the default is 2^32");
  }
  if (!Number.isSafeInteger(q.quantizationRange) || q.quantizationRange < 1 || q.quantizationRange >= m) {
    fail(
      `quantizationRange must be a whole number in [1, modulusRange), got ${q.quantizationRange}`,
      "the default is 2^22",
    );
  }
}

/**
 * Throws FL_SECAGG_OVERFLOW when the sum of `count` encodings could wrap around the modulus (a wrong sum):
 * each value is at most Q, so n·Q must stay below the modulus.
 */
export function checkNoOverflow(q: QuantizationParameters, count: number): void {
  if (count * q.quantizationRange >= q.modulusRange) {
    throw new ValidationError(
      "FL_SECAGG_OVERFLOW",
      `${count} nodes × quantizationRange ${q.quantizationRange} reaches the modulus ${q.modulusRange}: the sum would wrap`,
      {
        hint: `sample fewer nodes or lower quantizationRange below ${Math.floor((q.modulusRange - 1) / count)}`,
      },
    );
  }
}

/** The quantized weight ratio q_r = round(min(w / maxWeight, 1) · Q). */
export function quantizeWeight(weight: number, q: QuantizationParameters): number {
  if (!(weight > 0) || !Number.isFinite(weight)) {
    throw new ValidationError("FL_UPDATE_INVALID", `a weight of ${weight}`, {
      hint: "every update must report numExamples > 0",
    });
  }
  // A weight beyond maxWeight is capped (Flower only warns and risks an overflow).
  return Math.max(1, Math.round(Math.min(weight / q.maxWeight, 1) * q.quantizationRange));
}

/**
 * The encoding [q_r, q(r·x₀), q(r·x₁), …] of one node's values `x` with quantized weight ratio `qWeight`,
 * stochastically rounded with `rng` (the node's own stream).
 */
export function encodeInput(
  x: ArrayLike<number>,
  qWeight: number,
  q: QuantizationParameters,
  rng: Rng,
): Uint32Array {
  const out = new Uint32Array(x.length + 1);
  out[0] = qWeight;
  const ratio = qWeight / q.quantizationRange;
  const c = q.clippingRange;
  const scale = q.quantizationRange / (2 * c);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! * ratio;
    if (!Number.isFinite(v)) {
      throw new ValidationError("FL_UPDATE_INVALID", "an update holds a NaN or infinite value");
    }
    const scaled = (Math.min(c, Math.max(-c, v)) + c) * scale;
    const floor = Math.floor(scaled);
    out[i + 1] = Math.min(q.quantizationRange, floor + (rng.next() < scaled - floor ? 1 : 0));
  }
  return out;
}

/** What a sum of encodings decodes to: Σ rᵢxᵢ per value and Σ rᵢ. */
export interface DecodedSum {
  readonly weightedSum: Float64Array;
  readonly totalRatio: number;
}

/** Decodes the (unmasked) sum of `count` encodings. */
export function decodeSum(sum: Uint32Array, count: number, q: QuantizationParameters): DecodedSum {
  const totalQ = sum[0]!;
  if (totalQ === 0) {
    throw new ProtocolError("FL_SECAGG_BAD_SUM", "the unmasked weights sum to zero", {
      hint: "a node's mask did not cancel; the round cannot be trusted",
    });
  }
  const step = (2 * q.clippingRange) / q.quantizationRange;
  const offset = count * q.clippingRange;
  const weightedSum = new Float64Array(sum.length - 1);
  for (let i = 1; i < sum.length; i++) weightedSum[i - 1] = sum[i]! * step - offset;
  return { weightedSum, totalRatio: totalQ / q.quantizationRange };
}

/** a ← a + b modulo `modulus` (a power of two ≤ 2³²), in place. */
export function addInto(a: Uint32Array, b: Uint32Array, modulus: number): void {
  if (modulus === 2 ** 32) {
    for (let i = 0; i < a.length; i++) a[i] = a[i]! + b[i]!;
  } else {
    const bits = modulus - 1;
    for (let i = 0; i < a.length; i++) a[i] = (a[i]! + b[i]!) & bits;
  }
}

/** a ← a − b modulo `modulus` (a power of two ≤ 2³²), in place. */
export function subtractInto(a: Uint32Array, b: Uint32Array, modulus: number): void {
  if (modulus === 2 ** 32) {
    for (let i = 0; i < a.length; i++) a[i] = a[i]! - b[i]!;
  } else {
    const bits = modulus - 1;
    for (let i = 0; i < a.length; i++) a[i] = (a[i]! - b[i]! + modulus) & bits;
  }
}
