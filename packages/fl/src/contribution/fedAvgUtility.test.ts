import { describe, expect, it } from "vitest";
import type { Arrays } from "../arrays.ts";
import { coalitionOf } from "./coalition.ts";
import { fedAvgUtility } from "./fedAvgUtility.ts";

const model = (...w: number[]): Arrays =>
  new Map([
    ["a", { shape: [1], data: Float32Array.of(w[0]!) }],
    ["b", { shape: [2], data: Float32Array.of(w[1]!, w[2]!) }],
  ]);
const update = (numExamples: number, ...w: number[]) => ({ arrays: model(...w), numExamples, metrics: {} });

describe("the FedAvg utility of a round's updates", () => {
  it("evaluates the example-weighted mean of a coalition's updates, and the start for ∅", async () => {
    const seen: number[][] = [];
    const utility = fedAvgUtility({
      start: model(0, 0, 0),
      updates: [update(1, 3, 0, 6), update(3, 7, 4, 2), update(2, 100, 100, 100)],
      evaluate: (arrays) => {
        const flat = [...arrays.values()].flatMap((p) => [...p.data]);
        seen.push(flat);
        return flat[0]!;
      },
    });
    // {0, 1}: (1·(3, 0, 6) + 3·(7, 4, 2)) / 4 = (6, 3, 3)
    expect(await utility.value(coalitionOf([0, 1]))).toBe(6);
    expect(seen[0]).toEqual([6, 3, 3]);
    expect(await utility.value(0n)).toBe(0);
    expect(await utility.value(coalitionOf([2]))).toBe(100);
    expect(utility.evaluations).toBe(3);
  });

  it("refuses updates of another model or without weight", () => {
    const evaluate = () => 0;
    expect(() =>
      fedAvgUtility({
        start: model(0, 0, 0),
        updates: [{ arrays: new Map(), numExamples: 1, metrics: {} }],
        evaluate,
      }),
    ).toThrow(expect.objectContaining({ code: "FL_ARRAYS_MISMATCH" }));
    expect(() => fedAvgUtility({ start: model(0, 0, 0), updates: [update(0, 1, 1, 1)], evaluate })).toThrow(
      expect.objectContaining({ code: "FL_UPDATE_INVALID" }),
    );
  });
});
