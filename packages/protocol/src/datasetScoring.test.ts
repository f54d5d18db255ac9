import { ProtocolError, WAD } from "@flock/core";
import { describe, expect, it } from "vitest";
import { topKWeights } from "./datasetScoring.ts";

describe("FLock OFF top-k weights", () => {
  it("breaks equal scores by the earliest commit", () => {
    const weights = topKWeights(
      [
        { id: "late", score: 5n, commitOrder: 9 },
        { id: "early", score: 5n, commitOrder: 3 },
        { id: "worse", score: 4n, commitOrder: 1 },
      ],
      1,
    );
    expect(weights.get("early")).toBe(WAD);
    expect(weights.get("late")).toBe(0n);
    expect(weights.get("worse")).toBe(0n);
  });

  it("splits 1.0 exactly among the top k, the remainder to the best", () => {
    const weights = topKWeights(
      [
        { id: "a", score: 3n, commitOrder: 1 },
        { id: "b", score: 2n, commitOrder: 2 },
        { id: "c", score: 1n, commitOrder: 3 },
        { id: "d", score: 0n, commitOrder: 4 },
      ],
      3,
    );
    // 1e18 / 3 = 333333333333333333 each; the best gets 1e18 − 2 · that = 333333333333333334
    expect(weights.get("a")).toBe(333_333_333_333_333_334n);
    expect(weights.get("b")).toBe(333_333_333_333_333_333n);
    expect(weights.get("c")).toBe(333_333_333_333_333_333n);
    expect(weights.get("d")).toBe(0n);
  });

  it("rejects duplicate datasets", () => {
    expect(() =>
      topKWeights(
        [
          { id: "a", score: 1n, commitOrder: 1 },
          { id: "a", score: 2n, commitOrder: 2 },
        ],
        1,
      ),
    ).toThrow(ProtocolError);
  });
});
