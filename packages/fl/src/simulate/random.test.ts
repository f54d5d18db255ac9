import { createRng } from "@flock/engine";
import { describe, expect, it } from "vitest";
import { LazyPermutation, normalQuantile, sampleDirichlet, sampleGamma } from "./random.ts";

describe("simulation randomness", () => {
  it("gamma samples have mean ≈ shape and variance ≈ shape (shapes below and above 1)", () => {
    for (const shape of [0.3, 0.5, 2, 7]) {
      const rng = createRng(shape * 100);
      const n = 40_000;
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        const g = sampleGamma(rng, shape);
        sum += g;
        sq += g * g;
      }
      const mean = sum / n;
      expect(Math.abs(mean - shape) / shape, `mean at ${shape}`).toBeLessThan(0.03);
      expect(Math.abs(sq / n - mean * mean - shape) / shape, `variance at ${shape}`).toBeLessThan(0.08);
    }
  });

  it("Dirichlet proportions sum to 1 and have mean 1/k; a small α concentrates them", () => {
    const rng = createRng(3);
    const k = 10;
    const means = new Float64Array(k);
    let maxSmall = 0;
    let maxLarge = 0;
    for (let t = 0; t < 4000; t++) {
      const p = sampleDirichlet(rng, 0.5, k);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (let i = 0; i < k; i++) means[i]! += p[i]! / 4000;
      maxSmall += Math.max(...sampleDirichlet(rng, 0.1, k)) / 4000;
      maxLarge += Math.max(...sampleDirichlet(rng, 100, k)) / 4000;
    }
    for (const m of means) expect(m).toBeCloseTo(0.1, 2);
    expect(maxSmall).toBeGreaterThan(0.55);
    expect(maxLarge).toBeLessThan(0.15);
  });

  it("normalQuantile inverts the normal CDF at known points", () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 7);
    expect(normalQuantile(0.6)).toBeCloseTo(0.2533471031, 7);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 7);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424309, 6);
  });

  it("LazyPermutation is a bijection for awkward sizes and depends on the seed", () => {
    for (const n of [1, 2, 3, 17, 1000, 4097]) {
      const p = new LazyPermutation(n, 11);
      const seen = new Set(Array.from({ length: n }, (_, i) => p.at(i)));
      expect(seen.size).toBe(n);
      expect(Math.max(...seen)).toBe(n - 1);
    }
    const a = new LazyPermutation(1000, 1);
    const b = new LazyPermutation(1000, 2);
    const same = Array.from({ length: 1000 }, (_, i) => a.at(i) === b.at(i)).filter(Boolean).length;
    expect(same).toBeLessThan(20);
    expect(() => a.at(1000)).toThrow(/outside/);
  });
});
