import { ValidationError } from "@flock/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isBetter, scoreDirectionOf, scoreFromMetric } from "./score.ts";

describe("fixed-point scores from float metrics", () => {
  it("converts through the shortest decimal string", () => {
    expect(scoreFromMetric(1.25)).toBe(1_250_000_000_000_000_000n);
    expect(scoreFromMetric(0)).toBe(0n);
    expect(scoreFromMetric(-0.5)).toBe(-500_000_000_000_000_000n);
    // 0.1 + 0.2 prints as 0.30000000000000004 → exactly that decimal, scaled
    expect(scoreFromMetric(0.1 + 0.2)).toBe(300_000_000_000_000_040n);
    // exponent forms: 1e-7 and 1.5e21
    expect(scoreFromMetric(1e-7)).toBe(100_000_000_000n);
    expect(scoreFromMetric(1.5e21)).toBe(1_500_000_000_000_000_000_000n * 10n ** 18n);
  });

  it("rounds beyond 18 decimals half away from zero", () => {
    expect(scoreFromMetric(1.5e-18)).toBe(2n);
    expect(scoreFromMetric(1.4e-18)).toBe(1n);
    expect(scoreFromMetric(-1.5e-18)).toBe(-2n);
    expect(scoreFromMetric(4e-19)).toBe(0n);
  });

  it("rejects NaN and infinities with a hint", () => {
    expect(() => scoreFromMetric(Number.NaN)).toThrow(ValidationError);
    expect(() => scoreFromMetric(Number.POSITIVE_INFINITY)).toThrow(/finite/);
    try {
      scoreFromMetric(Number.NaN);
    } catch (error) {
      expect((error as ValidationError).code).toBe("METRIC_NOT_FINITE");
      expect((error as ValidationError).hint).toBeTruthy();
    }
  });

  it("keeps the order of the metrics it converts (property)", () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
        fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
        (a, b) => {
          if (a <= b) expect(scoreFromMetric(a)).toBeLessThanOrEqual(scoreFromMetric(b));
          else expect(scoreFromMetric(a)).toBeGreaterThanOrEqual(scoreFromMetric(b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("knows which way each metric improves", () => {
    expect(isBetter(1n, 2n, "lower-is-better")).toBe(true);
    expect(isBetter(1n, 2n, "higher-is-better")).toBe(false);
    expect(isBetter(2n, 2n, "higher-is-better")).toBe(false);
  });
});

describe("which way a task type's metric improves", () => {
  it("language tasks (BPC), classifiers (log-loss) and regressors (RMSE) are all lower-is-better", () => {
    expect(scoreDirectionOf("lm-lora")).toBe("lower-is-better");
    expect(scoreDirectionOf("lm-full")).toBe("lower-is-better");
    expect(scoreDirectionOf("regressor")).toBe("lower-is-better");
    expect(scoreDirectionOf("classifier")).toBe("lower-is-better");
    expect(() => scoreDirectionOf("ranker" as never)).toThrow(
      expect.objectContaining({ code: "TASK_TYPE_UNKNOWN" }),
    );
  });
});
