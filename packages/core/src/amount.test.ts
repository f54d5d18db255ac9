import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertAmount, formatFlock, parseFlock, toAmount } from "./amount.ts";
import { AmountError } from "./errors.ts";

describe("parseFlock", () => {
  it("parses whole and fractional amounts into base units", () => {
    expect(parseFlock("12.5")).toBe(12_500_000_000_000_000_000n);
    expect(parseFlock("3000")).toBe(3000n * 10n ** 18n);
    expect(parseFlock("0.000000000000000001")).toBe(1n);
    expect(parseFlock("0")).toBe(0n);
    expect(parseFlock(" 1_000 ")).toBe(1000n * 10n ** 18n);
  });

  it.each([
    ["-1", "AMOUNT_NEGATIVE"],
    ["1.2.3", "AMOUNT_MALFORMED"],
    ["abc", "AMOUNT_MALFORMED"],
    ["", "AMOUNT_MALFORMED"],
    ["1e18", "AMOUNT_MALFORMED"],
    ["0.0000000000000000001", "AMOUNT_TOO_PRECISE"],
  ])("rejects %j with %s", (text, code) => {
    const error = catchError(() => parseFlock(text));
    expect(error).toBeInstanceOf(AmountError);
    expect(error).toMatchObject({ code });
    expect((error as AmountError).hint).toBeTruthy();
  });

  it("round-trips with formatFlock", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), (units) => {
        expect(parseFlock(formatFlock(units))).toBe(units);
      }),
    );
  });
});

describe("formatFlock", () => {
  it("drops trailing zeros", () => {
    expect(formatFlock(12_500_000_000_000_000_000n)).toBe("12.5");
    expect(formatFlock(10n ** 18n)).toBe("1");
    expect(formatFlock(1n)).toBe("0.000000000000000001");
    expect(formatFlock(0n)).toBe("0");
  });
});

describe("toAmount / assertAmount", () => {
  it("accepts bigint, integer strings and safe integers", () => {
    expect(toAmount(5n)).toBe(5n);
    expect(toAmount("123456789012345678901234567890")).toBe(123456789012345678901234567890n);
    expect(toAmount(42)).toBe(42n);
  });

  it("rejects negative, fractional and non-numeric values", () => {
    expect(() => toAmount(-1n)).toThrow(/negative/);
    expect(() => toAmount(1.5)).toThrow(/not a safe integer/);
    expect(() => toAmount("1.5")).toThrow(/not an integer amount/);
    expect(() => toAmount(null)).toThrow(AmountError);
    expect(() => assertAmount(3)).toThrow(/must be a bigint/);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
