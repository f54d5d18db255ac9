import { createRng } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { weightedMeanReference } from "./arrays.ts";
import { simdWeightedSum } from "./simdMean.ts";

describe("simdWeightedSum", () => {
  it("runs on this Node (WebAssembly SIMD) and sums exactly as the scalar loop, across blocks and odd ends", () => {
    const rng = createRng(5);
    for (const [count, n] of [
      [1, 3],
      [3, 16_384],
      [4, 16_385],
      [8, 40_001],
    ] as const) {
      const vectors = Array.from({ length: count }, () =>
        Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 10 ** Math.floor(rng.next() * 6 - 3)),
      );
      const weights = vectors.map((_, k) => (k + 1) / 10);
      const total = weights.reduce((a, b) => a + b, 0);
      const acc = new Float64Array(n).fill(99);
      expect(
        simdWeightedSum(
          acc,
          vectors,
          weights.map((x) => x / total),
        ),
      ).toBe(true);
      const slow = weightedMeanReference(vectors, weights);
      expect(Buffer.from(acc.buffer).equals(Buffer.from(slow.buffer)), `${count} × ${n}`).toBe(true);
    }
  });
});
