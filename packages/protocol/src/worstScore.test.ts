import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isBetter, scoreFromMetric } from "./score.ts";
import { isWorstScore, scoreOrWorst, WORST_SCORE_MAGNITUDE, worstScore } from "./worstScore.ts";

describe("the worst score of an unscorable artifact (SPEC §2.1: +∞)", () => {
  it("+∞ and NaN are the direction's worst score; finite metrics go through scoreFromMetric", () => {
    expect(scoreOrWorst(Number.POSITIVE_INFINITY, "lower-is-better")).toBe(WORST_SCORE_MAGNITUDE);
    expect(scoreOrWorst(Number.NaN, "higher-is-better")).toBe(-WORST_SCORE_MAGNITUDE);
    expect(scoreOrWorst(1.25, "lower-is-better")).toBe(1_250_000_000_000_000_000n);
    expect(isWorstScore(worstScore("higher-is-better"), "higher-is-better")).toBe(true);
    // It fits a signed 256-bit word and numeric(78,0).
    expect(WORST_SCORE_MAGNITUDE.toString().length).toBeLessThan(78);
  });

  it("every finite score ranks better than the worst, in both directions", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (metric) => {
        const score = scoreFromMetric(metric);
        expect(isBetter(score, worstScore("lower-is-better"), "lower-is-better")).toBe(true);
        expect(isBetter(score, worstScore("higher-is-better"), "higher-is-better")).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
