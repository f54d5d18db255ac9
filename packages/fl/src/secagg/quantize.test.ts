import { createRng } from "@flock/engine";
import { describe, expect, it } from "vitest";
import {
  addInto,
  checkNoOverflow,
  DEFAULT_QUANTIZATION,
  decodeSum,
  encodeInput,
  quantizeWeight,
  subtractInto,
} from "./quantize.ts";

describe("SecAgg+ fixed-point encoding", () => {
  const q = DEFAULT_QUANTIZATION;

  it("a sum of encodings decodes to the weighted sum within one step per node", () => {
    const rng = createRng(1);
    const xs = [0, 1, 2].map(() => Array.from({ length: 100 }, () => (rng.next() - 0.5) * 6));
    const weights = [10, 250, 999];
    const sum = new Uint32Array(101);
    const ratios: number[] = [];
    xs.forEach((x, i) => {
      const qw = quantizeWeight(weights[i]!, q);
      ratios.push(qw / q.quantizationRange);
      addInto(sum, encodeInput(x, qw, q, rng), q.modulusRange);
    });
    const { weightedSum, totalRatio } = decodeSum(sum, 3, q);
    expect(totalRatio).toBeCloseTo(
      ratios.reduce((a, b) => a + b),
      12,
    );
    const step = (2 * q.clippingRange) / q.quantizationRange;
    for (let j = 0; j < 100; j++) {
      const exact = xs.reduce((a, x, i) => a + ratios[i]! * x[j]!, 0);
      expect(Math.abs(weightedSum[j]! - exact)).toBeLessThanOrEqual(3 * step);
    }
  });

  it("clips values beyond the clipping range and caps weights at maxWeight", () => {
    const rng = createRng(2);
    const qw = quantizeWeight(5000, q);
    expect(qw).toBe(q.quantizationRange);
    const enc = encodeInput([100, -100], qw, q, rng);
    expect([...enc]).toEqual([q.quantizationRange, q.quantizationRange, 0]);
  });

  it("stochastic rounding is unbiased", () => {
    const rng = createRng(3);
    const small = { ...q, quantizationRange: 16 };
    let total = 0;
    const trials = 20_000;
    for (let i = 0; i < trials; i++) total += encodeInput([0.3], 16, small, rng)[1]!;
    // (0.3 + 8) · 16 / 16 = 8.3
    expect(total / trials).toBeCloseTo(8.3, 1);
  });

  it("modular add and subtract are inverse, at 2^32 and a smaller power of two", () => {
    for (const m of [2 ** 32, 2 ** 20]) {
      const a = Uint32Array.of(5, m - 1, 0);
      const b = Uint32Array.of(m - 2, 7, 1);
      const c = a.slice();
      addInto(c, b, m);
      expect([...c]).toEqual([3, 6, 1]);
      subtractInto(c, b, m);
      expect([...c]).toEqual([...a]);
    }
  });

  it("refuses a round whose sum could wrap around the modulus", () => {
    expect(() => checkNoOverflow(q, 1023)).not.toThrow();
    expect(() => checkNoOverflow(q, 1024)).toThrow(expect.objectContaining({ code: "FL_SECAGG_OVERFLOW" }));
  });
});
