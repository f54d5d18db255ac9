import { describe, expect, it } from "vitest";
import { addGaussianNoise, cryptoNoise, gaussianSample, seededNoiseForTests } from "./gaussianNoise.ts";
import { zeroModel } from "./testNodes.ts";

/** Sample mean, standard deviation and the fraction within one standard deviation of 0. */
function moments(x: ArrayLike<number>): { mean: number; std: number; within1: number; within2: number } {
  let sum = 0;
  let sq = 0;
  let w1 = 0;
  let w2 = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sum += v;
    sq += v * v;
    if (Math.abs(v) < 1) w1++;
    if (Math.abs(v) < 2) w2++;
  }
  const mean = sum / x.length;
  return {
    mean,
    std: Math.sqrt(sq / x.length - mean * mean),
    within1: w1 / x.length,
    within2: w2 / x.length,
  };
}

describe("CSPRNG Gaussian noise", () => {
  it("is standard normal: mean, standard deviation and the 1σ / 2σ masses of 400,000 draws", () => {
    const n = 400_000;
    const z = new Float64Array(n);
    cryptoNoise().fillStandardNormal(z);
    const m = moments(z);
    // Bounds ≈ 6 standard errors: se(mean) = 1/√n ≈ 0.0016, se(std) ≈ 1/√(2n) ≈ 0.0011, se(mass) ≤ 0.0008.
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(Math.abs(m.std - 1)).toBeLessThan(0.007);
    expect(Math.abs(m.within1 - 0.682689)).toBeLessThan(0.005);
    expect(Math.abs(m.within2 - 0.9545)).toBeLessThan(0.003);
  });

  it("never repeats: two sources, and two fills of one source, differ", () => {
    const source = cryptoNoise();
    const a = new Float64Array(64);
    const b = new Float64Array(64);
    source.fillStandardNormal(a);
    source.fillStandardNormal(b);
    const c = new Float64Array(64);
    cryptoNoise().fillStandardNormal(c);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect(source.cryptographic).toBe(true);
  });

  it("the seeded source repeats under a seed and says it is not cryptographic", () => {
    const a = new Float64Array(16);
    const b = new Float64Array(16);
    seededNoiseForTests(7).fillStandardNormal(a);
    seededNoiseForTests(7).fillStandardNormal(b);
    expect(a).toEqual(b);
    expect(seededNoiseForTests(7).cryptographic).toBe(false);
  });
});

describe("addGaussianNoise", () => {
  it("adds noise of the requested standard deviation to every array and leaves the input alone", () => {
    const model = zeroModel(100_001);
    const noisy = addGaussianNoise(model, 0.25, cryptoNoise());
    expect([...model.values()].every((p) => p.data.every((v) => v === 0))).toBe(true);
    const all = [...noisy.values()].flatMap((p) => [...p.data]);
    const m = moments(all.map((v) => v / 0.25));
    expect(Math.abs(m.std - 1)).toBeLessThan(0.015);
    expect(Math.abs(m.mean)).toBeLessThan(0.02);
    expect(noisy.get("b")!.data[0]).not.toBe(0);
  });

  it("with standard deviation 0 returns an exact copy; a negative one is refused", () => {
    const model = new Map([["w", { shape: [3], data: Float32Array.of(1, -2, 3.5) }]]);
    const copy = addGaussianNoise(model, 0, cryptoNoise());
    expect([...copy.get("w")!.data]).toEqual([1, -2, 3.5]);
    expect(copy.get("w")!.data).not.toBe(model.get("w")!.data);
    expect(() => addGaussianNoise(model, -1, cryptoNoise())).toThrow(/standard deviation/);
  });

  it("gaussianSample draws around its mean", () => {
    const source = seededNoiseForTests(3);
    const draws = Array.from({ length: 20_000 }, () => gaussianSample(5, 2, source));
    const m = moments(draws.map((d) => (d - 5) / 2));
    expect(Math.abs(m.mean)).toBeLessThan(0.05);
    expect(Math.abs(m.std - 1)).toBeLessThan(0.05);
  });
});
