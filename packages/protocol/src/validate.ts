import { AmountError, ProtocolError, toAmount, ValidationError } from "@flock/core";

/** Anything an amount may arrive as: a bigint of base units, an integer string, or a safe integer number. */
export type AmountLike = bigint | string | number;

const ACCOUNT = /^0x[0-9a-fA-F]{40}$/;

/** Normalize a 0x-prefixed 40-hex account to lowercase, rejecting anything else. */
export function normalizeAccount(value: unknown, name = "account"): `0x${string}` {
  if (typeof value !== "string" || !ACCOUNT.test(value)) {
    throw new ValidationError("ACCOUNT_MALFORMED", `${name} ${JSON.stringify(value)} is not an account`, {
      hint: "accounts are 0x followed by 40 hex digits, e.g. 0x52908400098527886e0f7030069857d2e4169ee7",
    });
  }
  return value.toLowerCase() as `0x${string}`;
}

/** Read a token amount (bigint base units ≥ 0); fractions and negatives throw an AmountError. */
export function readAmount(value: unknown, name: string): bigint {
  return toAmount(value, name);
}

/** Read a whole number ≥ 0 (days, seconds, counts) as a bigint. */
export function readCount(value: unknown, name: string): bigint {
  if (typeof value === "bigint" && value >= 0n) return value;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^\d+$/.test(value)) return BigInt(value);
  throw new ValidationError("COUNT_INVALID", `${name} ${describe(value)} is not a whole number ≥ 0`, {
    hint: `pass ${name} as a non-negative integer`,
  });
}

/** Read a ratio in basis points within [0, max] (default 10 000 = 100%). */
export function readBps(value: unknown, name: string, max = 10_000n): bigint {
  const bps = readCount(value, name);
  if (bps > max) {
    throw new ValidationError("BPS_OUT_OF_RANGE", `${name} is ${bps} bps, above ${max}`, {
      hint: `basis points run from 0 to ${max} (10 000 bps = 100%)`,
    });
  }
  return bps;
}

/** Read a WAD ratio (1e18 = 1.0) within [min, max]. */
export function readWad(value: unknown, name: string, min: bigint, max: bigint): bigint {
  if (typeof value !== "bigint") {
    throw new ValidationError(
      "WAD_NOT_BIGINT",
      `${name} must be a bigint WAD (1e18 = 1.0), got ${describe(value)}`,
      {
        hint: "write ratios as fixed-point bigints, e.g. 0.5 is 500000000000000000n",
      },
    );
  }
  if (value < min || value > max) {
    throw new ValidationError("WAD_OUT_OF_RANGE", `${name} ${value} is outside [${min}, ${max}]`, {
      hint: "check the parameter: WAD ratios use 1e18 for 1.0",
    });
  }
  return value;
}

/** Throw a ProtocolError when a list holds the same key twice (accounts, ids). */
export function assertUnique(keys: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) {
      throw new ProtocolError("DUPLICATE_ENTRY", `${what} ${key} appears more than once`, {
        hint: `list each ${what} once; merge its entries before computing`,
        details: { what, key },
      });
    }
    seen.add(key);
  }
}

/** Throw an AmountError unless a value is a bigint (scores and signed figures may be negative). */
export function readSignedInteger(value: unknown, name: string): bigint {
  if (typeof value !== "bigint") {
    throw new AmountError("INTEGER_NOT_BIGINT", `${name} must be a bigint, got ${describe(value)}`, {
      hint: "convert metrics with scoreFromMetric() and pass fixed-point bigints",
    });
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  return `${typeof value} ${String(value)}`;
}
