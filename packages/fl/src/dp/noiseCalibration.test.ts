import { describe, expect, it } from "vitest";
import { flatten } from "../arrays.ts";
import { clipModelUpdate } from "../clipping.ts";
import { adaptiveNoise, centralNoiseStd, localDpNoiseStd } from "./noiseCalibration.ts";

/** The cases of Flower's framework/py/flwr/common/differential_privacy_test.py, re-run here. */
describe("noise calibration as Flower's differential_privacy_test.py", () => {
  it("test_compute_stdv: z = 1, C = 0.5, m = 10 → 0.05", () => {
    expect(centralNoiseStd(1, 0.5, 10)).toBe(0.05);
  });

  it("test_compute_adaptive_noise_params: the default σ_b, z = 0, a given σ_b, and z ≥ 2σ_b refused", () => {
    const byDefault = adaptiveNoise(1, 100);
    expect(byDefault.clippedCountStddev).toBe(5); // m/20
    expect(byDefault.updateNoiseMultiplier).toBeGreaterThan(0);
    expect(adaptiveNoise(0, 50)).toEqual({ clippedCountStddev: 0, updateNoiseMultiplier: 0 });
    const given = adaptiveNoise(3, 200, 5);
    expect(given.clippedCountStddev).toBe(5);
    expect(given.updateNoiseMultiplier).toBeCloseTo((3 ** -2 - 10 ** -2) ** -0.5, 12); // rtol 1e-6 there
    expect(() => adaptiveNoise(10, 100)).toThrow(expect.objectContaining({ code: "FL_DP_OPTION_INVALID" }));
  });

  it("test_compute_clip_model_update: an update of norm 1.5 under C = 4 comes back unchanged", () => {
    const arrays = (rows: number[][]) =>
      new Map(rows.map((r, i) => [`a${i}`, { shape: [3], data: Float32Array.from(r) }]));
    const local = arrays([
      [0.5, 1.5, 2.5],
      [3.5, 4.5, 5.5],
      [6.5, 7.5, 8.5],
    ]);
    const global = arrays([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);
    const clipped = clipModelUpdate(global, local, 4);
    expect([...flatten(clipped.arrays)]).toEqual([...flatten(local)]);
    expect(clipped.norm).toBeCloseTo(1.5, 12);
    const tight = clipModelUpdate(global, local, 0.75); // halves each −0.5 step
    expect([...flatten(tight.arrays)]).toEqual([0.75, 1.75, 2.75, 3.75, 4.75, 5.75, 6.75, 7.75, 8.75]);
  });

  it("LocalDpMod's noise: Δ·√(2 ln(1.25/δ))/ε", () => {
    expect(localDpNoiseStd(2, 1, 1.25 / Math.E)).toBeCloseTo(2 * Math.SQRT2, 14);
  });
});
