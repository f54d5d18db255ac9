import { describe, expect, it } from "vitest";
import { flatten } from "./arrays.ts";
import { clipModelUpdate, clipToNorm, l2Norm } from "./clipping.ts";
import { arraysOf } from "./robust/testReplies.ts";

describe("l2Norm and clipToNorm", () => {
  it("measures the Euclidean norm", () => {
    expect(l2Norm([3, 4])).toBe(5);
    expect(l2Norm(new Float32Array(0))).toBe(0);
    expect(l2Norm([1, 2, 2, 4])).toBe(5);
  });

  it("scales a longer vector down to the norm by min(1, C / ‖v‖) and leaves shorter ones alone", () => {
    const v = Float64Array.of(3, 4);
    expect(clipToNorm(v, 1)).toBeCloseTo(0.2, 15);
    expect(Array.from(v)).toEqual([0.6000000000000001, 0.8]);
    expect(l2Norm(v)).toBeCloseTo(1, 15);
    const w = Float32Array.of(0.3, 0.4);
    expect(clipToNorm(w, 1)).toBe(1);
    expect(Array.from(w)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
    const zero = new Float32Array(3);
    expect(clipToNorm(zero, 1)).toBe(1);
  });

  it("refuses a norm that is not a positive finite number", () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clipToNorm(new Float32Array(2), bad)).toThrowError(
        expect.objectContaining({ code: "FL_OPTION_INVALID" }),
      );
    }
  });
});

describe("clipModelUpdate", () => {
  it("clips the update local − global over all arrays together and adds it back", () => {
    // global 1 everywhere; local differs by (3, 4, 0, 0, 0, 0): norm 5, factor 2 / 5
    const global = arraysOf([1, 1, 1, 1, 1, 1]);
    const local = arraysOf([4, 5, 1, 1, 1, 1]);
    const clipped = clipModelUpdate(global, local, 2);
    expect(clipped.norm).toBe(5);
    expect(clipped.factor).toBeCloseTo(0.4, 15);
    expect(Array.from(flatten(clipped.arrays))).toEqual([2.2, 2.6, 1, 1, 1, 1].map(Math.fround));
    expect([...clipped.arrays.keys()]).toEqual([...local.keys()]);
  });

  it("returns an update within the norm bit for bit, as a copy", () => {
    const global = arraysOf([0.1, 0.2]);
    const local = arraysOf([0.30000001, -0.7]);
    const clipped = clipModelUpdate(global, local, 10);
    expect(clipped.factor).toBe(1);
    expect(flatten(clipped.arrays)).toEqual(flatten(local));
    expect(clipped.arrays.get("w")!.data).not.toBe(local.get("w")!.data);
  });

  it("refuses arrays of another layout", () => {
    expect(() => clipModelUpdate(arraysOf([0, 0]), arraysOf([0, 0, 0]), 1)).toThrowError(
      expect.objectContaining({ code: "FL_ARRAYS_MISMATCH" }),
    );
  });
});
