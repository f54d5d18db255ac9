import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { computeRdp, DEFAULT_RDP_ORDERS, epsilonFromRdp, noiseMultiplierFor } from "./rdp.ts";

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Mironov 2017's classic conversion, ε = min_α rdp_α + ln(1/δ)/(α − 1), for comparison. */
function classicEpsilon(orders: readonly number[], rdp: readonly number[], delta: number): number {
  return Math.min(...orders.map((a, k) => rdp[k]! + Math.log(1 / delta) / (a - 1)));
}

describe("computeRdp matches the published values of Opacus and TF Privacy", () => {
  it("TF Privacy rdp_accountant_test.py test_compute_rdp_scalar: q=0.1, σ=2, 10 steps, α=5 → 0.07737", () => {
    expect(computeRdp(0.1, 2, 10, [5])[0]).toBeCloseTo(0.07737, 5);
  });

  it("TF Privacy test_compute_rdp_sequence: q=0.01, σ=2.5, 50 steps (rtol 1e-4), fractional and integer α", () => {
    const orders = [1.5, 2.5, 5, 50, 100, Number.POSITIVE_INFINITY];
    const expected = [6.5007e-4, 1.0854e-3, 2.1808e-3, 2.3846e-2, 1.6742e2];
    const rdp = computeRdp(0.01, 2.5, 50, orders);
    expected.forEach((v, k) => {
      expect(Math.abs(rdp[k]! - v) / v).toBeLessThan(1e-4);
    });
    expect(rdp[5]).toBe(Number.POSITIVE_INFINITY);
  });

  it("TF Privacy test_compute_rdp_no_data (q = 0 → 0) and test_compute_rdp_no_sampling (q = 1 → α/2σ²)", () => {
    expect(computeRdp(0, 10, 1, [20])[0]).toBe(0);
    expect(computeRdp(1, 10, 1, [20])[0]).toBe(0.1);
  });

  it("σ = 0 gives no privacy at any order; 0 steps cost nothing", () => {
    expect(computeRdp(0.5, 0, 1, [2, 3.5])).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(computeRdp(0.5, 1, 0, [2, 3.5])).toEqual([0, 0]);
  });

  it("agrees with A_α integrated numerically (TF Privacy's test_compute_log_a_equals_mp, by quadrature here)", () => {
    // A_α = ∫ μ₀(z)·((1 − q) + q·e^{(2z − 1)/2σ²})^α dz, μ₀ = N(0, σ²), integrated by the trapezoid rule.
    const cases = [
      { q: 1e-3, sigma: 1, alpha: 2 },
      { q: 0.01, sigma: 10, alpha: 20 },
      { q: 0.1, sigma: 100, alpha: 20.5 },
      { q: 1e-4, sigma: 1, alpha: 1.5 },
      { q: 0.05, sigma: 2, alpha: 7.3 },
    ];
    for (const { q, sigma, alpha } of cases) {
      const lo = -12 * sigma;
      const hi = 12 * sigma + 2;
      const n = 200_000;
      const h = (hi - lo) / n;
      let sum = 0;
      for (let i = 0; i <= n; i++) {
        const z = lo + i * h;
        const mu0 = Math.exp(-(z * z) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
        const f = mu0 * (1 - q + q * Math.exp((2 * z - 1) / (2 * sigma * sigma))) ** alpha;
        sum += i === 0 || i === n ? f / 2 : f;
      }
      const expected = Math.log(sum * h) / (alpha - 1);
      const got = computeRdp(q, sigma, 1, [alpha])[0]!;
      expect(Math.abs(got - expected)).toBeLessThan(1e-9 + 1e-6 * expected);
    }
  });
});

describe("computeRdp agrees with Opacus's compute_rdp on a grid of 486 cases", () => {
  const reference = JSON.parse(
    readFileSync(new URL("./opacusRdpReference.json", import.meta.url), "utf8"),
  ) as {
    cases: [number, number, number, number][];
  };

  it("q from 1e-6 to 0.999, σ from 0.3 to 20, α from 1.1 to 63: relative 1e-8, or the float floor of log A_α near zero", () => {
    expect(reference.cases).toHaveLength(486);
    for (const [q, sigma, alpha, expected] of reference.cases) {
      const got = computeRdp(q, sigma, 1, [alpha])[0]!;
      // log A_α ≈ 0 is a sum of terms near 1: both sides carry ~1e-15 of rounding, divided by α − 1.
      expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-8 * expected + 1e-14 / (alpha - 1));
    }
  });

  it("where the two differ most (RDP near 1e-14), this one is the closer to the closed form A₂ = 1 + q²(e^{1/σ²} − 1)", () => {
    // Opacus takes log(1 − q) where log1p(−q) keeps the digits.
    for (const [q, sigma] of [
      [1e-6, 20],
      [1e-6, 4],
      [1e-4, 20],
    ] as const) {
      const exact = Math.log1p(q * q * Math.expm1(1 / (sigma * sigma)));
      const opacus = reference.cases.find(([cq, cs, ca]) => cq === q && cs === sigma && ca === 2)![3];
      const ours = computeRdp(q, sigma, 1, [2])[0]!;
      expect(Math.abs(ours / exact - 1)).toBeLessThan(1e-6);
      expect(Math.abs(ours - exact)).toBeLessThan(Math.abs(opacus - exact));
    }
  });
});

describe("epsilonFromRdp uses Opacus's conversion (Balle et al. 2020, Theorem 21)", () => {
  it("Opacus accountants_test.py test_rdp_accountant: σ=1.5, q=0.04, 2250 steps, δ=1e-5 → ε = 7.32911117143", () => {
    const rdp = computeRdp(0.04, 1.5, Math.trunc(90 / 0.04), DEFAULT_RDP_ORDERS);
    const spent = epsilonFromRdp(DEFAULT_RDP_ORDERS, rdp, 1e-5);
    expect(spent.epsilon).toBeCloseTo(7.32911117143, 7); // assertAlmostEqual: 7 places
    expect(spent.order).toBe(3.9);
  });

  it("Opacus opacus/accountants/analysis/rdp.py module doctest: two mechanisms composed → (0.336, 23)", () => {
    const orders = range(2, 33);
    const a = computeRdp(1e-5, 1.0, 10, orders);
    const b = computeRdp(1e-4, 3.0, 4, orders);
    const spent = epsilonFromRdp(
      orders,
      a.map((x, k) => x + b[k]!),
      1e-5,
    );
    expect(spent.epsilon).toBeCloseTo(0.336, 3);
    expect(spent.order).toBe(23);
  });

  it("TF Privacy test_get_privacy_spent_check_target_delta: constant RDP 1.1 on orders 2..32 → ε = 1.32783806176 at α = 32", () => {
    const orders = range(2, 33);
    const spent = epsilonFromRdp(
      orders,
      orders.map(() => 1.1),
      1e-5,
    );
    expect(spent.epsilon).toBeCloseTo(1.32783806176, 7);
    expect(spent.order).toBe(32);
  });

  it("TF Privacy test_get_privacy_spent_check_target_delta: the Gaussian with σ = 4.530877117 is exactly (1, 1e-6)-DP", () => {
    // TF Privacy's orders are 0.001·i for i in [1000, 100000); α = 1 carries no bound and is left out here.
    const orders = range(1001, 100000).map((i) => 0.001 * i);
    const spent = epsilonFromRdp(orders, computeRdp(1, 4.530877117, 1, orders), 1e-6);
    expect(spent.epsilon).toBeCloseTo(1, 7);
  });

  it("TF Privacy test_check_composition: two compositions stay within the old conversion's 8.509656", () => {
    const orders = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
    const a = computeRdp(1e-4, 0.4, 40000, orders);
    const b = computeRdp(0.1, 2, 100, orders);
    const rdp = a.map((x, k) => x + b[k]!);
    const eps = epsilonFromRdp(orders, rdp, 1e-5).epsilon;
    expect(eps).toBeLessThanOrEqual(8.509656);
    expect(classicEpsilon(orders, rdp, 1e-5)).toBeCloseTo(8.509656, 5); // the old figure, with the old formula
  });

  it("is never larger than Mironov 2017's classic conversion and grows with the number of steps", () => {
    let previous = 0;
    for (const steps of [1, 10, 100, 1000]) {
      const rdp = computeRdp(0.01, 1.1, steps);
      const eps = epsilonFromRdp(DEFAULT_RDP_ORDERS, rdp, 1e-5).epsilon;
      expect(eps).toBeLessThanOrEqual(classicEpsilon(DEFAULT_RDP_ORDERS, rdp, 1e-5));
      expect(eps).toBeGreaterThan(previous);
      previous = eps;
    }
  });

  it("ε falls as the noise grows and rises with the sampling rate", () => {
    const eps = (q: number, sigma: number): number =>
      epsilonFromRdp(DEFAULT_RDP_ORDERS, computeRdp(q, sigma, 100), 1e-5).epsilon;
    const sigmas = [0.6, 0.8, 1, 1.5, 2, 4];
    for (let k = 1; k < sigmas.length; k++)
      expect(eps(0.05, sigmas[k]!)).toBeLessThan(eps(0.05, sigmas[k - 1]!));
    const rates = [0.001, 0.01, 0.05, 0.2, 1];
    for (let k = 1; k < rates.length; k++)
      expect(eps(rates[k]!, 1.2)).toBeGreaterThan(eps(rates[k - 1]!, 1.2));
  });

  it("costs nothing for a mechanism no record took part in (q = 0), by TF Privacy's KL shortcut", () => {
    const orders = [2, 8, 63];
    expect(epsilonFromRdp(orders, computeRdp(0, 1, 100, orders), 1e-5).epsilon).toBe(0);
    // Just above the shortcut the formula takes over: RDP 1e-9 gives √(1 − e^{−r}) ≈ 3.2e-5 > δ.
    expect(epsilonFromRdp(orders, [1e-9, 1e-9, 1e-9], 1e-5).epsilon).toBeGreaterThan(0);
    expect(epsilonFromRdp(orders, [1e-11, 1e-11, 1e-11], 1e-5).epsilon).toBe(0);
  });

  it("rejects mismatched lengths, orders ≤ 1 and δ outside (0, 1)", () => {
    expect(() => epsilonFromRdp([2, 3], [1], 1e-5)).toThrow(/pair up/);
    expect(() => epsilonFromRdp([1, 2], [1, 1], 1e-5)).toThrow(/orders/);
    expect(() => epsilonFromRdp([2], [1], 0)).toThrow(/δ/);
    expect(() => computeRdp(1.5, 1, 1)).toThrow(/sampling rate/);
  });
});

describe("noiseMultiplierFor", () => {
  it("Opacus accountants_test.py test_get_noise_multiplier_rdp_epochs: ε=8, δ=1e-5, q=0.04, 90 epochs → 1.416", () => {
    const sigma = noiseMultiplierFor({
      targetEpsilon: 8,
      delta: 1e-5,
      samplingRate: 0.04,
      steps: Math.trunc(90 / 0.04),
    });
    expect(sigma).toBeCloseTo(1.416, 4);
  });

  it("Opacus test_get_noise_multiplier_rdp_steps: 2000 steps → 1.3562, and the result meets the budget", () => {
    const sigma = noiseMultiplierFor({ targetEpsilon: 8, delta: 1e-5, samplingRate: 0.04, steps: 2000 });
    expect(sigma).toBeCloseTo(1.3562, 4);
    const eps = epsilonFromRdp(DEFAULT_RDP_ORDERS, computeRdp(0.04, sigma, 2000), 1e-5).epsilon;
    expect(eps).toBeLessThan(8);
  });
});
