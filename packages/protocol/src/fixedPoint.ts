import { ValidationError, WAD } from "@flock/core";

/** floor(√n) for n ≥ 0, by Newton's method on bigints (exact, no floats). */
export function isqrt(n: bigint): bigint {
  if (n < 0n) {
    throw new ValidationError("SQRT_NEGATIVE", `cannot take the square root of ${n}`, {
      hint: "square roots are taken of stakes, which are never negative",
    });
  }
  if (n < 2n) return n;
  // Start above √n: 2^(ceil(bits/2)) ≥ √n, then Newton decreases monotonically to floor(√n).
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

/** base^exponent for a WAD base (1e18 = 1.0), flooring after every multiplication. */
export function powWad(baseWad: bigint, exponent: number): bigint {
  let result = WAD;
  for (let i = 0; i < exponent; i++) result = (result * baseWad) / WAD;
  return result;
}

/** The smaller of two bigints (Math.min does not take bigints). */
export function minBigint(a: bigint, b: bigint): bigint {
  if (a < b) return a;
  return b;
}
