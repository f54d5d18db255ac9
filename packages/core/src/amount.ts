import { AmountError } from "./errors.ts";

/** FLOCK and gmFLOCK have 18 decimals; amounts are bigint base units everywhere. */
export const FLOCK_DECIMALS = 18;
/** 1 FLOCK in base units (1e18); also the fixed-point scale for ratios (1e18 = 1.0). */
export const WAD = 10n ** 18n;
/** Basis points in one whole (10 000 bps = 100%). */
export const BPS = 10_000n;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parse a decimal FLOCK amount into base units.
 * @example parseFlock("12.5") // 12500000000000000000n
 */
export function parseFlock(text: string, decimals = FLOCK_DECIMALS): bigint {
  if (typeof text !== "string") {
    throw new AmountError("AMOUNT_NOT_STRING", `expected a decimal string, got ${typeof text}`, {
      hint: 'pass the amount as a string such as "12.5"',
    });
  }
  const trimmed = text.trim().replaceAll("_", "");
  if (trimmed.startsWith("-")) {
    throw new AmountError("AMOUNT_NEGATIVE", `amount "${text}" is negative`, {
      hint: "token amounts are zero or positive",
    });
  }
  const match = DECIMAL.exec(trimmed);
  if (!match) {
    throw new AmountError("AMOUNT_MALFORMED", `amount "${text}" is not a decimal number`, {
      hint: 'write amounts as digits with an optional fraction, e.g. "3000" or "12.5"',
    });
  }
  const whole = match[1] ?? "0";
  const fraction = match[2] ?? "";
  if (fraction.length > decimals) {
    throw new AmountError("AMOUNT_TOO_PRECISE", `amount "${text}" has more than ${decimals} decimals`, {
      hint: `FLOCK has ${decimals} decimals; round the amount`,
    });
  }
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(fraction.padEnd(decimals, "0") || "0");
}

/**
 * Format base units as a decimal FLOCK string without trailing zeros.
 * @example formatFlock(12500000000000000000n) // "12.5"
 */
export function formatFlock(amount: bigint, decimals = FLOCK_DECIMALS): string {
  assertBigint(amount, "amount");
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const unit = 10n ** BigInt(decimals);
  const whole = abs / unit;
  const fraction = (abs % unit).toString().padStart(decimals, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

function assertBigint(value: unknown, name: string): asserts value is bigint {
  if (typeof value !== "bigint") {
    throw new AmountError(
      "AMOUNT_NOT_BIGINT",
      `${name} must be a bigint of base units, got ${describe(value)}`,
      {
        hint: "convert with parseFlock() or BigInt() before passing amounts around",
      },
    );
  }
}

/** Throw unless `value` is a bigint ≥ 0; returns it for chaining. */
export function assertAmount(value: unknown, name = "amount"): bigint {
  assertBigint(value, name);
  if (value < 0n) {
    throw new AmountError("AMOUNT_NEGATIVE", `${name} is negative (${value})`, {
      hint: "token amounts are zero or positive",
    });
  }
  return value;
}

/**
 * Read an amount that arrived as a bigint, a base-unit integer string (e.g. from `numeric(78,0)`) or a
 * safe integer number. Fractions, negatives and non-numbers are rejected.
 */
export function toAmount(value: unknown, name = "amount"): bigint {
  if (typeof value === "bigint") return assertAmount(value, name);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) {
      throw new AmountError("AMOUNT_NOT_INTEGER", `${name} ${value} is not a safe integer of base units`, {
        hint: "amounts are whole base units (1 FLOCK = 10^18); pass them as bigint or string",
      });
    }
    return assertAmount(BigInt(value), name);
  }
  if (typeof value === "string" && /^-?\d+$/.test(value.trim()))
    return assertAmount(BigInt(value.trim()), name);
  throw new AmountError(
    "AMOUNT_MALFORMED",
    `${name} ${describe(value)} is not an integer amount of base units`,
    {
      hint: 'use an integer string of base units such as "3000000000000000000000", or parseFlock("3000")',
    },
  );
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  return `${typeof value} ${String(value)}`;
}
