import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import { runFederation } from "../runFederation.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { nextClippingNorm } from "./adaptiveClipping.ts";
import { seededNoiseForTests } from "./gaussianNoise.ts";
import { adaptiveNoise } from "./noiseCalibration.ts";
import { RdpAccountant } from "./rdpAccountant.ts";
import { DifferentialPrivacyServerSideAdaptiveClipping } from "./serverSideAdaptiveClipping.ts";
import { deltaNodes, vectorOfNorm, zeroModel } from "./testNodes.ts";

const SIZE = 4;
/** Ten nodes whose updates have norms 1, 2, …, 10 every round. */
const tenNorms = deltaNodes((node) => vectorOfNorm(SIZE, node + 1, node));

function run(dp: DifferentialPrivacyServerSideAdaptiveClipping, rounds: number) {
  return runFederation({
    strategy: dp,
    grid: new InMemoryGrid({ nodes: 10, app: tenNorms }),
    initialArrays: zeroModel(SIZE),
    rounds,
  });
}

describe("adaptive clipping's formulas", () => {
  it("splits the noise budget as Andrew et al. Theorem 1 (Flower's compute_adaptive_noise_params)", () => {
    const split = adaptiveNoise(0.5, 10);
    expect(split.clippedCountStddev).toBe(0.5); // default σ_b = m/20
    expect(split.updateNoiseMultiplier).toBeCloseTo(1 / Math.sqrt(3), 14); // (0.5⁻² − 1⁻²)^−½
    expect(adaptiveNoise(1, 100, 5).updateNoiseMultiplier).toBeCloseTo((1 - 0.01) ** -0.5, 14);
    expect(adaptiveNoise(0, 10)).toEqual({ clippedCountStddev: 0, updateNoiseMultiplier: 0 });
    expect(() => adaptiveNoise(1, 10)).toThrow(/clippedCountStddev/); // 1 ≥ 2·(10/20)
  });

  it("raises C when more updates than the target are clipped and lowers it when fewer are", () => {
    expect(nextClippingNorm(1, 0.75, 0.5, 0.2)).toBeCloseTo(Math.exp(0.05), 15);
    expect(nextClippingNorm(1, 0.25, 0.5, 0.2)).toBeCloseTo(Math.exp(-0.05), 15);
    expect(nextClippingNorm(2, 0.5, 0.5, 0.2)).toBe(2);
  });
});

describe("DifferentialPrivacyServerSideAdaptiveClipping", () => {
  it("one round by hand: clips to C₀, noises with C₀ and moves C by exp(η·(f − γ))", async () => {
    const dp = new DifferentialPrivacyServerSideAdaptiveClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0,
      numSampledClients: 10,
      initialClippingNorm: 3.5,
    });
    const result = await run(dp, 1);
    const metrics = result.rounds[0]!.trainMetrics!;
    expect(metrics["clipping-norm"]).toBe(3.5);
    expect(metrics["clipped-fraction"]).toBe(0.7); // norms 4 … 10 are above 3.5, σ_b = 0
    expect(dp.clippingNorm).toBeCloseTo(3.5 * Math.exp(0.2 * (0.7 - 0.5)), 12);
    expect(metrics["next-clipping-norm"]).toBe(dp.clippingNorm);
    expect(Math.max(...dp.norms.map((n) => n.norm * n.factor))).toBeCloseTo(3.5, 5);
  });

  it("moves C to the target quantile of the update norms from far below (γ = 0.5 → the median, γ = 0.2 → the 80th percentile)", async () => {
    for (const [gamma, low, high] of [
      [0.5, 5, 6],
      [0.2, 8, 9],
    ] as const) {
      const dp = new DifferentialPrivacyServerSideAdaptiveClipping(new FedAvg({ fractionEvaluate: 0 }), {
        noiseMultiplier: 0,
        numSampledClients: 10,
        initialClippingNorm: 0.1,
        targetClippedQuantile: gamma,
      });
      const result = await run(dp, 70);
      const norms = result.rounds.map((r) => r.trainMetrics!["clipping-norm"]!);
      for (let k = 1; k < 30; k++) expect(norms[k]!).toBeGreaterThan(norms[k - 1]!); // climbing while all are clipped
      expect(dp.clippingNorm).toBeGreaterThanOrEqual(low);
      expect(dp.clippingNorm).toBeLessThanOrEqual(high);
      expect(result.rounds.at(-1)!.trainMetrics!["clipped-fraction"]).toBeCloseTo(gamma, 12);
    }
  });

  it("with noise on the count and the model it still settles near the median, noised with z_Δ·C/m", async () => {
    const accountant = new RdpAccountant({ delta: 1e-5 });
    const dp = new DifferentialPrivacyServerSideAdaptiveClipping(new FedAvg({ fractionEvaluate: 0 }), {
      noiseMultiplier: 0.5,
      numSampledClients: 10,
      initialClippingNorm: 0.1,
      noise: seededNoiseForTests(11),
      accountant,
    });
    const result = await run(dp, 80);
    const late = result.rounds.slice(-30).map((r) => Math.log(r.trainMetrics!["clipping-norm"]!));
    const meanLog = late.reduce((a, b) => a + b, 0) / late.length;
    expect(Math.exp(meanLog)).toBeGreaterThan(4);
    expect(Math.exp(meanLog)).toBeLessThan(7);
    for (const r of result.rounds) {
      const m = r.trainMetrics!;
      expect(m["noise-stddev"]).toBeCloseTo(((1 / Math.sqrt(3)) * m["clipping-norm"]!) / 10, 12);
    }
    // The accountant charges the combined multiplier z = 0.5 (Theorem 1), q = 10/10.
    expect(accountant.history.every((h) => h.noiseMultiplier === 0.5 && h.samplingRate === 1)).toBe(true);
    expect(result.rounds.at(-1)!.trainMetrics!.epsilon).toBe(accountant.spent().epsilon);
    expect(flatten(result.arrays).every(Number.isFinite)).toBe(true);
  });

  it("checks Flower's parameter ranges", () => {
    const make = (o: object) => () =>
      new DifferentialPrivacyServerSideAdaptiveClipping(new FedAvg(), {
        noiseMultiplier: 0,
        numSampledClients: 10,
        ...o,
      });
    expect(make({ initialClippingNorm: 0 })).toThrow(/initialClippingNorm/);
    expect(make({ targetClippedQuantile: 1.5 })).toThrow(/targetClippedQuantile/);
    expect(make({ clipNormLr: 0 })).toThrow(/clipNormLr/);
    expect(make({ clippedCountStddev: -1 })).toThrow(/clippedCountStddev/);
    expect(make({ noiseMultiplier: 1 })).toThrow(/clippedCountStddev/); // default σ_b = 0.5 is too small for z = 1
  });
});
