import { describe, expect, it } from "vitest";
import { pairwiseSquaredDistances } from "./distances.ts";
import { krumNeighbours, krumScores, selectMultiKrum, selectRecursiveKrum } from "./krumSelection.ts";

/** The 1-d points 0, 1, 2, 3, 10 (index = reply order). */
const points = [[0], [1], [2], [3], [10]];

describe("pairwiseSquaredDistances", () => {
  it("is the exact symmetric matrix of squared distances with a zero diagonal", () => {
    const d = pairwiseSquaredDistances([
      [0, 0],
      [3, 4],
      [1, 1],
    ]);
    expect(Array.from(d)).toEqual([0, 25, 2, 25, 0, 13, 2, 13, 0]);
  });
});

describe("Krum scores and selection", () => {
  it("counts max(1, n − f − 2) neighbours", () => {
    expect(krumNeighbours(5, 1)).toBe(2);
    expect(krumNeighbours(3, 1)).toBe(1);
    expect(krumNeighbours(2, 0)).toBe(1);
    expect(krumNeighbours(10, 0)).toBe(8);
  });

  it("scores each point by its nearest neighbours' squared distances (hand-derived, n = 5, f = 1)", () => {
    // two neighbours each: 0 → 1 + 4; 1 → 1 + 1; 2 → 1 + 1; 3 → 1 + 4; 10 → 49 + 64
    const d = pairwiseSquaredDistances(points);
    expect(Array.from(krumScores(d, 5, [0, 1, 2, 3, 4], 1))).toEqual([5, 2, 2, 5, 113]);
    // a single member scores 0
    expect(Array.from(krumScores(d, 5, [4], 1))).toEqual([0]);
  });

  it("selects the lowest scores in ascending order, ties to the lower index", () => {
    const d = pairwiseSquaredDistances(points);
    expect(selectMultiKrum(d, 5, 1, 1)).toEqual([1]);
    expect(selectMultiKrum(d, 5, 1, 3)).toEqual([1, 2, 0]);
    expect(selectMultiKrum(d, 5, 1, 9)).toEqual([1, 2, 0, 3, 4]);
  });

  it("recursive Krum re-scores the remaining points after each pick (hand-derived, n = 7, f = 1)", () => {
    const d = pairwiseSquaredDistances([[0], [1], [2], [3], [4], [20], [-30]]);
    // pass 1 (4 neighbours): scores 30, 15, 10, 15, 30, 1230, 3974 → 2
    // pass 2 over {0,1,3,4,20,−30} (3 neighbours): 26, 14, 14, 26, … → 1 (tie with 3, lower index)
    // pass 3 over {0,3,4,20,−30} (2): 25, 10, 17, … → 3; pass 4 over {0,4,20,−30} (1): 16, 16, … → 0
    // pass 5 over {4,20,−30} (1): 256, 256, 1156 → 4
    expect(selectRecursiveKrum(d, 7, 1, 5)).toEqual([2, 1, 3, 0, 4]);
    // the one-pass selection ranks by the first pass's scores only: 10, 15, 15, 30, 30
    expect(selectMultiKrum(d, 7, 1, 5)).toEqual([2, 1, 3, 0, 4]);
  });
});

describe("pairwiseSquaredDistances over many vectors", () => {
  it("equals the direct sum of squared differences for every pair (four-partner passes and the rest)", () => {
    const vectors = Array.from({ length: 11 }, (_, i) =>
      Float32Array.from({ length: 37 }, (_, k) => Math.sin(i * 3.7 + k)),
    );
    const d = pairwiseSquaredDistances(vectors);
    for (let i = 0; i < 11; i++) {
      for (let j = 0; j < 11; j++) {
        let s = 0;
        for (let k = 0; k < 37; k++) s += (vectors[i]![k]! - vectors[j]![k]!) ** 2;
        expect(d[i * 11 + j]).toBe(s);
      }
    }
  });
});
