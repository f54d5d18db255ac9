import { describe, expect, it } from "vitest";
import {
  closestToReferenceMean,
  coordinateMedian,
  coordinateTrimmedMean,
  trimCount,
} from "./coordinateWise.ts";

describe("coordinateMedian", () => {
  it("takes the middle value, or the mean of the two middle values for an even count", () => {
    expect(
      Array.from(
        coordinateMedian([
          [1, 10],
          [2, -5],
          [7, 0],
        ]),
      ),
    ).toEqual([2, 0]);
    // columns sorted: [1, 2, 4, 7] → (2 + 4) / 2; [-5, 0, 3, 10] → (0 + 3) / 2
    expect(
      Array.from(
        coordinateMedian([
          [1, 10],
          [2, -5],
          [7, 0],
          [4, 3],
        ]),
      ),
    ).toEqual([3, 1.5]);
  });

  it("sorts beyond the insertion-sort size the same way (40 vectors)", () => {
    const vectors = Array.from({ length: 40 }, (_, i) => [(i * 17) % 40, -i]);
    // column 0 is a permutation of 0…39 → (19 + 20) / 2; column 1 is 0…−39 → (−19 − 20) / 2
    expect(Array.from(coordinateMedian(vectors))).toEqual([19.5, -19.5]);
  });
});

describe("trimCount and coordinateTrimmedMean", () => {
  it("floors beta · n like Flower's int(cut_fraction * nobs)", () => {
    expect(trimCount(4, 0.2)).toBe(0);
    expect(trimCount(5, 0.2)).toBe(1);
    expect(trimCount(9, 0.2)).toBe(1);
    expect(trimCount(10, 0.2)).toBe(2);
    expect(trimCount(10, 0.25)).toBe(2);
    expect(trimCount(3, 0.5)).toBe(1);
  });

  it("refuses a cut that leaves nothing to average", () => {
    expect(() => trimCount(4, 0.5)).toThrowError(expect.objectContaining({ code: "FL_TRIM_TOO_LARGE" }));
  });

  it("drops the extremes of each coordinate on its own and averages the rest unweighted", () => {
    // n = 5, beta 0.2 → one cut per end. Column 0: [-100, 1, 2, 3, 50] → (1 + 2 + 3) / 3 = 2.
    // Column 1: [5, 4, 3, 2, 1] → (2 + 3 + 4) / 3 = 3 (the extremes come from other vectors than column 0's).
    const v = [
      [-100, 5],
      [1, 4],
      [2, 3],
      [3, 2],
      [50, 1],
    ];
    expect(Array.from(coordinateTrimmedMean(v, 0.2))).toEqual([2, 3]);
    // n = 4 → int(0.8) = 0: the plain mean, (−100 + 1 + 2 + 3) / 4 and (5 + 4 + 3 + 2) / 4
    expect(Array.from(coordinateTrimmedMean(v.slice(0, 4), 0.2))).toEqual([-23.5, 3.5]);
  });
});

describe("above 32 vectors (quickselect instead of sorting)", () => {
  /** 40 vectors of 3 coordinates with repeated values, so ties cross the selected ranks. */
  const vectors = Array.from({ length: 40 }, (_, i) => [(i * 7) % 13, -((i * 11) % 17), (i % 5) * 0.5]);
  const column = (k: number) => vectors.map((v) => v[k]!).sort((a, b) => a - b);

  it("the trimmed mean keeps the same values a full sort keeps", () => {
    const mean = coordinateTrimmedMean(vectors, 0.2); // int(8) = 8 per end, 24 kept
    for (let k = 0; k < 3; k++) {
      const kept = column(k).slice(8, 32);
      expect(mean[k]).toBeCloseTo(kept.reduce((a, b) => a + b, 0) / 24, 12);
    }
  });

  it("Bulyan's closest mean picks the same values a full sort by (gap, position) picks", () => {
    const reference = [6.5, -8, 1];
    const mean = closestToReferenceMean(vectors, reference, 11);
    for (let k = 0; k < 3; k++) {
      const ranked = vectors
        .map((v, i) => ({ gap: Math.abs(v[k]! - reference[k]!), value: v[k]!, i }))
        .sort((a, b) => a.gap - b.gap || a.i - b.i);
      const expected = ranked.slice(0, 11).reduce((a, r) => a + r.value, 0) / 11;
      expect(mean[k]).toBeCloseTo(expected, 12);
    }
  });
});

describe("closestToReferenceMean (Bulyan's second step)", () => {
  it("averages the beta values nearest the reference, per coordinate", () => {
    // Flower's own test cases (bulyan_test.py): closest to 1 among 1, 2, 0.5 with beta 2 → 0.75
    expect(Array.from(closestToReferenceMean([[1], [2], [0.5]], [1], 2))).toEqual([0.75]);
    expect(Array.from(closestToReferenceMean([[1], [-0.5], [10]], [0], 1))).toEqual([-0.5]);
    expect(
      Array.from(
        closestToReferenceMean(
          [
            [5, 5],
            [5, 5],
            [5, 5],
          ],
          [42, -1],
          2,
        ),
      ),
    ).toEqual([5, 5]);
  });

  it("lets the vector listed first win a tie on the gap", () => {
    // reference 2, values in order [0, 1, 2, 4, 4]: gaps 2, 1, 0, 2, 2 → 2, 1 and then the tie of gap 2
    // goes to the first listed (0): (2 + 1 + 0) / 3 = 1; listed with a 4 first: (2 + 1 + 4) / 3
    expect(closestToReferenceMean([[0], [1], [2], [4], [4]], [2], 3)[0]).toBe(1);
    expect(closestToReferenceMean([[4], [1], [2], [0], [4]], [2], 3)[0]).toBeCloseTo(7 / 3, 12);
  });

  it("refuses beta outside [1, n]", () => {
    expect(() => closestToReferenceMean([[1], [2]], [1], 3)).toThrowError(
      expect.objectContaining({ code: "FL_OPTION_INVALID" }),
    );
  });
});
