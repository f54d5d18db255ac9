import { createRng } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { allFinite, flatten, layoutOf, unflatten, weightedMeanOf, weightedMeanReference } from "./arrays.ts";

const randomVector = (n: number, seed: number) => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 8 - 4));
};

describe("weightedMeanOf", () => {
  it("equals the one-vector-at-a-time reference to the bit for every count of vectors (batches of four and the rest)", () => {
    for (let count = 1; count <= 11; count++) {
      const vectors = Array.from({ length: count }, (_, k) => randomVector(257, 100 + k));
      const weights = vectors.map((_, k) => 1 + ((k * 37) % 13));
      const fast = weightedMeanOf(vectors, weights);
      const slow = weightedMeanReference(vectors, weights);
      expect(Buffer.from(fast.buffer).equals(Buffer.from(slow.buffer)), `count ${count}`).toBe(true);
    }
  });

  it("writes into a given slice, overwriting what was there", () => {
    const vectors = [Float32Array.of(1, 2), Float32Array.of(3, 6)];
    const whole = new Float64Array([9, 9, 9, 9]);
    const out = weightedMeanOf(vectors, [1, 3], whole.subarray(1, 3));
    expect([...whole]).toEqual([9, 2.5, 5, 9]);
    expect(out.length).toBe(2);
  });

  it("refuses no vectors and weights summing to zero", () => {
    expect(() => weightedMeanOf([], [])).toThrow(/no updates/);
    expect(() => weightedMeanOf([Float32Array.of(1)], [0])).toThrow(/sum to zero/);
  });
});

describe("allFinite", () => {
  it("finds a NaN or an infinity anywhere, in float32 and in plain arrays", () => {
    const v = randomVector(103, 1);
    expect(allFinite(v)).toBe(true);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const at of [0, 1, 2, 3, 50, 101, 102]) {
        const w = Float32Array.from(v);
        w[at] = bad;
        expect(allFinite(w), `${bad} at ${at}`).toBe(false);
        const plain = [...w];
        expect(allFinite(plain)).toBe(false);
      }
    }
    // The largest float32 values do not overflow the float64 sum.
    expect(allFinite(new Float32Array(1000).fill(3.4028234663852886e38))).toBe(true);
    expect(allFinite([Number.MAX_VALUE, Number.MAX_VALUE])).toBe(true);
    expect(allFinite(new Float32Array(0))).toBe(true);
  });
});

describe("unflatten", () => {
  it("rounds a float64 vector to float32 the same way from a typed array and from a plain one", () => {
    const arrays = new Map([
      ["a", { shape: [2, 3], data: new Float32Array(6) }],
      ["b", { shape: [5], data: new Float32Array(5) }],
    ]);
    const layout = layoutOf(arrays);
    const rng = createRng(9);
    const flat = Float64Array.from({ length: 11 }, () => rng.next() / 3);
    const fromTyped = unflatten(layout, flat);
    const fromPlain = unflatten(layout, [...flat]);
    expect(flatten(fromTyped)).toEqual(flatten(fromPlain));
    expect(fromTyped.get("a")!.shape).toEqual([2, 3]);
    expect(flatten(fromTyped)[10]).toBe(Math.fround(flat[10]!));
  });
});

describe("weightedMeanOf on large float32 inputs (the WebAssembly SIMD path)", () => {
  it("equals the reference to the bit, for odd lengths, several blocks and every remainder of four", () => {
    for (const [count, n] of [
      [4, 40_000],
      [5, 16_385],
      [6, 33_333],
      [7, 9_999],
      [9, 50_001],
    ] as const) {
      const vectors = Array.from({ length: count }, (_, k) => randomVector(n, 1000 * count + k));
      const weights = vectors.map((_, k) => 1 + ((k * 37) % 13));
      const fast = weightedMeanOf(vectors, weights);
      const slow = weightedMeanReference(vectors, weights);
      expect(Buffer.from(fast.buffer).equals(Buffer.from(slow.buffer)), `${count} × ${n}`).toBe(true);
      // Into a slice of a longer buffer, overwriting it.
      const whole = new Float64Array(n + 2).fill(7);
      weightedMeanOf(vectors, weights, whole.subarray(1, n + 1));
      expect(whole[0]).toBe(7);
      expect(whole[n + 1]).toBe(7);
      expect(Buffer.from(whole.slice(1, n + 1).buffer).equals(Buffer.from(slow.buffer))).toBe(true);
    }
  });

  it("carries a NaN or an infinity to its coordinate of the mean", () => {
    const vectors = Array.from({ length: 5 }, (_, k) => randomVector(20_000, k));
    vectors[4]![12_345] = Number.NaN;
    vectors[1]![19_999] = Number.POSITIVE_INFINITY;
    const mean = weightedMeanOf(vectors, [1, 2, 3, 4, 5]);
    expect(mean[12_345]).toBeNaN();
    expect(mean[19_999]).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isFinite(mean[0]!)).toBe(true);
  });
});
