import { ValidationError, WAD } from "@flock/core";
import { isqrt } from "./fixedPoint.ts";

/** β as an exact dyadic fraction k / 2^n (n ≤ 8), the only exponents stake^β is computed for. */
export interface DyadicExponent {
  numerator: bigint;
  log2Denominator: number;
}

const MAX_LOG2 = 8;
const STEP = WAD / 2n ** BigInt(MAX_LOG2); // 1/256 in WAD, exact because 1e18 = 2^18 · 5^18

/**
 * Read β (WAD, 1e18 = 1.0) as k / 2^n in lowest terms. β must lie in [0, 1] and be a multiple of 1/256,
 * so stake^β can be computed exactly with integer square roots (no floats, the same on every machine).
 */
export function dyadicExponent(betaWad: bigint): DyadicExponent {
  if (typeof betaWad !== "bigint" || betaWad < 0n || betaWad > WAD || betaWad % STEP !== 0n) {
    throw new ValidationError(
      "BETA_NOT_DYADIC",
      `β = ${String(betaWad)} is not a multiple of 1/256 in [0, 1]`,
      {
        hint: "pass β as a WAD bigint that is k/2^n with n ≤ 8, e.g. 0.5 → 500000000000000000n, 0.75, 0.625",
        details: { betaWad: String(betaWad) },
      },
    );
  }
  let numerator = betaWad / STEP;
  let log2Denominator = MAX_LOG2;
  while (log2Denominator > 0 && numerator % 2n === 0n && numerator !== 0n) {
    numerator /= 2n;
    log2Denominator -= 1;
  }
  return { numerator, log2Denominator };
}

/**
 * floor(x^β) with β = k / 2^n: x^k, then n integer square roots. Because √ is increasing,
 * floor(√(floor(y))) = floor(√y), so the result is the exact floor of the real power.
 * No stake means no weight: stakePower(0, β) = 0 for every β (even β = 0).
 */
export function stakePower(stake: bigint, betaWad: bigint): bigint {
  const { numerator, log2Denominator } = dyadicExponent(betaWad);
  if (stake === 0n) return 0n;
  let value = stake ** numerator;
  for (let i = 0; i < log2Denominator; i++) value = isqrt(value);
  return value;
}
