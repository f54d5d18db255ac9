import { ProtocolError, ValidationError } from "@flock/core";
import { primitives } from "#secagg-primitives";

/**
 * Shamir secret sharing over the prime field GF(2¹²⁷ − 1) (a Mersenne prime, so reduction is two shifts
 * and an add) — Shamir, "How to Share a Secret", CACM 1979. A secret is a 127-bit field element; a share is
 * the value at x = 1, 2, … of a random polynomial of degree t − 1 whose constant term is the secret, and any
 * t shares give the secret back by Lagrange interpolation at 0 while t − 1 reveal nothing.
 */
export const FIELD_PRIME = (1n << 127n) - 1n;

/** Bytes of a field element on the wire (little-endian, the top bit always clear). */
export const FIELD_BYTES = 16;

/** A share: the polynomial's value `y` at the holder's `x` (1-based, public). */
export interface Share {
  readonly x: number;
  readonly y: bigint;
}

/** a mod p for 0 ≤ a < p² (a Mersenne reduction). */
function reduce(a: bigint): bigint {
  let r = (a & FIELD_PRIME) + (a >> 127n);
  r = (r & FIELD_PRIME) + (r >> 127n);
  return r === FIELD_PRIME ? 0n : r;
}

function mul(a: bigint, b: bigint): bigint {
  return reduce(a * b);
}

function sub(a: bigint, b: bigint): bigint {
  return a >= b ? a - b : a + FIELD_PRIME - b;
}

/** a⁻¹ mod p by Fermat's little theorem (a ≠ 0). */
function inverse(a: bigint): bigint {
  let result = 1n;
  let base = a;
  let e = FIELD_PRIME - 2n;
  while (e > 0n) {
    if (e & 1n) result = mul(result, base);
    base = mul(base, base);
    e >>= 1n;
  }
  return result;
}

/** A uniformly random field element from the CSPRNG (127 random bits; the single value p is redrawn). */
export function randomFieldElement(): bigint {
  for (;;) {
    const bytes = primitives.randomBytes(FIELD_BYTES);
    bytes[FIELD_BYTES - 1]! &= 0x7f;
    const value = bytesToField(bytes);
    if (value !== FIELD_PRIME) return value;
  }
}

/** `count` uniformly random field elements from one CSPRNG draw (a value equal to p is redrawn). */
export function randomFieldElements(count: number): bigint[] {
  const bytes = primitives.randomBytes(FIELD_BYTES * count);
  const out: bigint[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = bytes.subarray(i * FIELD_BYTES, (i + 1) * FIELD_BYTES);
    chunk[FIELD_BYTES - 1]! &= 0x7f;
    const value = bytesToField(chunk);
    out.push(value === 0n && chunk.some((b) => b !== 0) ? randomFieldElement() : value);
  }
  return out;
}

/** A field element as 16 little-endian bytes. */
export function fieldToBytes(value: bigint): Uint8Array {
  const out = new Uint8Array(FIELD_BYTES);
  let v = value;
  for (let i = 0; i < FIELD_BYTES; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** 16 little-endian bytes as a field element; throws FL_SECAGG_BAD_SHARE when they are not one (≥ p). */
export function bytesToField(bytes: Uint8Array): bigint {
  if (bytes.length !== FIELD_BYTES) {
    throw new ProtocolError("FL_SECAGG_BAD_SHARE", `a field element of ${bytes.length} bytes`, {
      hint: `field elements are ${FIELD_BYTES} bytes`,
    });
  }
  let v = 0n;
  for (let i = FIELD_BYTES - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (v > FIELD_PRIME) {
    throw new ProtocolError("FL_SECAGG_BAD_SHARE", "a field element beyond the prime", {
      hint: "a share must be below 2^127 - 1",
    });
  }
  return v === FIELD_PRIME ? 0n : v;
}

/**
 * Shares of `secret` for the holders at `xs` (distinct, 1 ≤ x < p), any `threshold` of which recover it.
 * The polynomial's other coefficients come from the CSPRNG (or `coefficients`, for known-answer tests).
 */
export function splitSecret(
  secret: bigint,
  xs: readonly number[],
  threshold: number,
  coefficients?: readonly bigint[],
): Share[] {
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > xs.length) {
    throw new ValidationError(
      "FL_SECAGG_THRESHOLD_INVALID",
      `a threshold of ${threshold} for ${xs.length} shares`,
      { hint: "the threshold must be between 1 and the number of shares" },
    );
  }
  if (new Set(xs).size !== xs.length || xs.some((x) => !Number.isSafeInteger(x) || x < 1)) {
    throw new ValidationError(
      "FL_SECAGG_THRESHOLD_INVALID",
      "share points must be distinct whole numbers ≥ 1",
    );
  }
  if (secret < 0n || secret >= FIELD_PRIME) {
    throw new ValidationError("FL_SECAGG_SECRET_INVALID", "a secret outside the field", {
      hint: "secrets are field elements below 2^127 - 1",
    });
  }
  // f(x) = secret + a₁x + … + a_{t−1}x^{t−1}
  const coeffs = [secret, ...(coefficients ?? randomFieldElements(threshold - 1))];
  return xs.map((x) => {
    const bx = BigInt(x);
    let y = 0n;
    for (let i = coeffs.length - 1; i >= 0; i--) y = reduce(mul(y, bx) + coeffs[i]!);
    return { x, y };
  });
}

/**
 * The Lagrange coefficients at 0 for the points `xs`: λⱼ = Πᵢ≠ⱼ xᵢ / (xᵢ − xⱼ), so f(0) = Σⱼ λⱼ·f(xⱼ). The
 * denominators are inverted together (Montgomery's batch inversion: one exponentiation for all of them),
 * and the last few point sets are cached, since every owner of a dense neighbourhood has the same holders.
 */
export function lagrangeAtZero(xs: readonly number[]): readonly bigint[] {
  const key = xs.join(",");
  const cached = lagrangeCache.get(key);
  if (cached) return cached;
  const bx = xs.map(BigInt);
  const nums: bigint[] = [];
  const dens: bigint[] = [];
  for (let j = 0; j < bx.length; j++) {
    let num = 1n;
    let den = 1n;
    for (let i = 0; i < bx.length; i++) {
      if (i === j) continue;
      num = mul(num, bx[i]!);
      den = mul(den, sub(bx[i]!, bx[j]!));
    }
    nums.push(num);
    dens.push(den);
  }
  // prefix[j] = den₀ ⋯ den_{j−1}; one inverse of the whole product, then walk back.
  const prefix: bigint[] = [1n];
  for (const d of dens) prefix.push(mul(prefix[prefix.length - 1]!, d));
  let inv = inverse(prefix[dens.length]!);
  const lambdas = new Array<bigint>(dens.length);
  for (let j = dens.length - 1; j >= 0; j--) {
    lambdas[j] = mul(nums[j]!, mul(inv, prefix[j]!));
    inv = mul(inv, dens[j]!);
  }
  if (lagrangeCache.size >= 64) lagrangeCache.delete(lagrangeCache.keys().next().value!);
  lagrangeCache.set(key, lambdas);
  return lambdas;
}

const lagrangeCache = new Map<string, readonly bigint[]>();

/**
 * The secret f(0) from shares by Lagrange interpolation. Every share given is used, so give exactly
 * `threshold` of them (more are harmless when they lie on the same polynomial).
 */
export function combineShares(shares: readonly Share[]): bigint {
  if (shares.length === 0) {
    throw new ValidationError("FL_SECAGG_NOT_ENOUGH_SHARES", "no shares to combine");
  }
  const xs = shares.map((s) => s.x);
  if (new Set(xs).size !== xs.length) {
    throw new ProtocolError("FL_SECAGG_BAD_SHARE", "two shares at the same point", {
      hint: "each holder's share has its own x",
    });
  }
  const lambdas = lagrangeAtZero(xs);
  let secret = 0n;
  for (let j = 0; j < shares.length; j++) secret = reduce(secret + mul(shares[j]!.y, lambdas[j]!));
  return secret;
}
