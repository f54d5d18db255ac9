import { ValidationError } from "@flock/core";
import { mixSeed, type Rng } from "@flock/engine";

/**
 * Gamma(shape, 1) by Marsaglia and Tsang, "A Simple Method for Generating Gamma Variables", ACM TOMS 26(3),
 * 2000; shapes below 1 through Gamma(a) = Gamma(a + 1) · U^(1/a) (their §6).
 */
export function sampleGamma(rng: Rng, shape: number): number {
  if (!(shape > 0)) {
    throw new ValidationError("FL_OPTION_INVALID", `a gamma shape must be > 0, got ${shape}`);
  }
  if (shape < 1) {
    const u = 1 - rng.next();
    return sampleGamma(rng, shape + 1) * u ** (1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.nextNormal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Proportions drawn from a symmetric Dirichlet(α, …, α) over `k` categories (normalized gammas). */
export function sampleDirichlet(rng: Rng, alpha: number, k: number): Float64Array {
  const out = new Float64Array(k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    out[i] = sampleGamma(rng, alpha);
    sum += out[i]!;
  }
  // With a tiny α every gamma can underflow to 0: the limit is one category taking everything.
  if (!(sum > 0)) {
    out.fill(0);
    out[rng.nextInt(k)] = 1;
    return out;
  }
  for (let i = 0; i < k; i++) out[i]! /= sum;
  return out;
}

/** An index drawn from unnormalized non-negative weights (`null` when they are all zero). */
export function sampleCategorical(rng: Rng, weights: ArrayLike<number>): number | null {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  if (!(total > 0)) return null;
  let u = rng.next() * total;
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i]! <= 0) continue;
    last = i;
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return last;
}

/**
 * Φ⁻¹(p), the standard normal quantile, by Acklam's rational approximation (relative error below 1.2e-9),
 * as used for the z of "a little is enough" (Baruch et al. 2019).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return Number.NEGATIVE_INFINITY;
    if (p === 1) return Number.POSITIVE_INFINITY;
    throw new ValidationError("FL_OPTION_INVALID", `a probability must be in [0, 1], got ${p}`);
  }
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * A seeded bijection of 0 … n−1 evaluated one index at a time in O(1) memory: a 4-round Feistel network
 * over the smallest even-bit power of two ≥ n, cycle-walking until the image falls below n (Black and
 * Rogaway, "Ciphers with Arbitrary Finite Domains", CT-RSA 2002). How a population of 100,000 clients
 * assigns roles and shards exactly (a fixed count, no two clients the same) without listing them.
 */
export class LazyPermutation {
  readonly size: number;
  private readonly halfBits: number;
  private readonly mask: number;
  private readonly keys: readonly number[];

  constructor(size: number, seed: number) {
    if (!Number.isSafeInteger(size) || size < 1 || size > 2 ** 30) {
      throw new ValidationError("FL_OPTION_INVALID", `a permutation of ${size} elements`, {
        hint: "give a size between 1 and 2^30",
      });
    }
    this.size = size;
    let bits = 2;
    while (2 ** bits < size) bits += 1;
    this.halfBits = Math.ceil(bits / 2);
    this.mask = 2 ** this.halfBits - 1;
    this.keys = [1, 2, 3, 4].map((r) => mixSeed(seed, r));
  }

  /** The image of index `i` (0 ≤ i < size). */
  at(i: number): number {
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.size) {
      throw new ValidationError("FL_OPTION_INVALID", `index ${i} outside a permutation of ${this.size}`);
    }
    let x = i;
    do x = this.encrypt(x);
    while (x >= this.size);
    return x;
  }

  private encrypt(x: number): number {
    let left = Math.floor(x / 2 ** this.halfBits);
    let right = x & this.mask;
    for (const key of this.keys) {
      const next = (left ^ mixSeed(key, right)) & this.mask;
      left = right;
      right = next;
    }
    return left * 2 ** this.halfBits + right;
  }
}
