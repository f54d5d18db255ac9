import { ValidationError } from "@flock/core";
import { logAdd, logErfc, logSub } from "./logMath.ts";

/**
 * The RDP orders α searched by default: 1.1, 1.2, …, 10.9 and 12, 13, …, 63 (Opacus's
 * `RDPAccountant.DEFAULT_ALPHAS`, so ε figures here and there agree).
 */
export const DEFAULT_RDP_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, x) => 12 + x),
]);

/**
 * log A_α for integer α (Mironov, Talwar, Zhang, "Rényi Differential Privacy of the Sampled Gaussian
 * Mechanism", arXiv:1908.10530, §3.3): A_α = Σᵢ C(α, i)·qⁱ·(1−q)^{α−i}·e^{(i²−i)/2σ²}.
 */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  let logCoef = 0; // log C(α, i), built up term by term
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logCoef += Math.log(alpha - i + 1) - Math.log(i);
    const s = logCoef + i * logQ + (alpha - i) * log1mQ + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, s);
  }
  return logA;
}

/**
 * log A_α for fractional α (same reference, §3.3): the integral split at z₀ = σ²·ln(1/q − 1) + ½ into two
 * alternating series with erfc tails, summed until both terms fall below e⁻³⁰ (Opacus's stopping rule).
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mQ = Math.log1p(-q);
  const sqrt2Sigma = Math.SQRT2 * sigma;
  const twoSigma2 = 2 * sigma * sigma;
  // C(α, i), kept as log |C| and its sign and updated by the factor (α − i + 1)/i each term.
  const coef: { log: number; sign: number } = { log: 0, sign: 1 };
  for (let i = 0; ; i++) {
    if (i > 0) {
      const factor = alpha - i + 1;
      coef.log += Math.log(Math.abs(factor)) - Math.log(i);
      if (factor < 0) coef.sign = -coef.sign;
    }
    const j = alpha - i;
    const logT0 = coef.log + i * logQ + j * log1mQ;
    const logT1 = coef.log + j * logQ + i * log1mQ;
    const logE0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
    const logS0 = logT0 + (i * i - i) / twoSigma2 + logE0;
    const logS1 = logT1 + (j * j - j) / twoSigma2 + logE1;
    if (coef.sign > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else if (coef.sign < 0) {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30) break;
  }
  return logAdd(logA0, logA1);
}

/** The RDP of one step of the sampled Gaussian mechanism at order α (Opacus's `_compute_rdp`). */
function rdpOfStep(q: number, sigma: number, alpha: number): number {
  if (q === 0) return 0;
  if (sigma === 0) return Number.POSITIVE_INFINITY;
  if (q === 1) return alpha / (2 * sigma * sigma);
  if (alpha === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const logA = Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
  return logA / (alpha - 1);
}

/**
 * Rényi DP of the sampled Gaussian mechanism iterated `steps` times, at each order: steps·ε_α(q, σ), where
 * each step samples every record with probability `q` and adds Gaussian noise of standard deviation
 * σ·(L2 sensitivity) — Mironov, "Rényi Differential Privacy", CSF 2017 (composition: RDP adds up), and
 * Mironov, Talwar, Zhang, arXiv:1908.10530, 2019 (the subsampled Gaussian's RDP, §3.3). The same numbers as
 * Opacus's and TF Privacy's `compute_rdp`. Entries may be +∞ (no privacy at that order, or σ = 0).
 *
 * @example computeRdp(0.1, 2, 10, [5]) // ≈ [0.07737], TF Privacy's rdp_accountant_test
 */
export function computeRdp(
  q: number,
  noiseMultiplier: number,
  steps: number,
  orders: readonly number[] = DEFAULT_RDP_ORDERS,
): number[] {
  assertSamplingRate(q);
  assertNoiseMultiplier(noiseMultiplier);
  if (!Number.isSafeInteger(steps) || steps < 0) {
    throw new ValidationError("FL_DP_OPTION_INVALID", `steps must be a whole number ≥ 0, got ${steps}`, {
      hint: "count the noisy releases (rounds or SGD steps) of the mechanism",
    });
  }
  assertOrders(orders);
  return orders.map((alpha) => {
    if (steps === 0) return 0;
    return rdpOfStep(q, noiseMultiplier, alpha) * steps;
  });
}

/** ε at δ, with the order α it was reached at. */
export interface PrivacySpent {
  readonly epsilon: number;
  readonly order: number;
}

/**
 * The tightest (ε, δ)-DP guarantee implied by RDP values at several orders, with Opacus's conversion
 * (`get_privacy_spent`, the improved bound of Balle, Barthe, Gaboardi, Hsu, Sato, "Hypothesis Testing
 * Interpretations and Rényi Differential Privacy", AISTATS 2020, Theorem 21; also Canonne, Kamath, Steinke
 * 2020, Prop. 12, as TF Privacy uses):
 *   ε = min_α  rdp_α − (ln δ + ln α)/(α − 1) + ln((α − 1)/α).
 * It is never larger than Mironov 2017's classic ε = rdp_α + ln(1/δ)/(α − 1). As TF Privacy, an order whose
 * RDP r is so small that √(1 − e^{−r}) ≤ δ gives ε = 0 (the KL bound on total variation), where the formula
 * alone would still say ε > 0 (e.g. a round nobody took part in). Orders must be > 1; a NaN entry is
 * skipped as Opacus's `nanargmin` does; ε is floored at 0. Returns ε = +∞ when no order gives a finite bound.
 */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: readonly number[],
  delta: number,
): PrivacySpent {
  assertOrders(orders);
  if (orders.length !== rdp.length) {
    throw new ValidationError(
      "FL_DP_OPTION_INVALID",
      `${orders.length} orders and ${rdp.length} RDP values; they must pair up`,
      { hint: "pass the RDP values computed at exactly these orders" },
    );
  }
  assertDelta(delta);
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = Number.NaN;
  orders.forEach((alpha, k) => {
    const r = rdp[k]!;
    // TF Privacy's `_compute_eps` shortcut: D_α ≥ KL, and TV ≤ √(1 − e^{−KL}), so δ² ≥ 1 − e^{−r} gives (0, δ).
    const eps =
      delta * delta + Math.expm1(-r) >= 0
        ? 0
        : r - (Math.log(delta) + Math.log(alpha)) / (alpha - 1) + Math.log((alpha - 1) / alpha);
    if (Number.isNaN(eps)) return;
    if (eps < best || Number.isNaN(bestOrder)) {
      best = eps;
      bestOrder = alpha;
    }
  });
  return { epsilon: Math.max(0, best), order: bestOrder };
}

/**
 * The smallest noise multiplier σ (within `tolerance` of ε) whose sampled Gaussian mechanism stays within
 * (ε, δ) after `steps` steps at sampling rate q — Opacus's `get_noise_multiplier`: double σ from 20 until
 * ε(σ) ≤ target, then bisect until target − ε(σ) ≤ tolerance, returning the upper end. Throws
 * FL_DP_BUDGET_TOO_SMALL when even σ = 10⁶ does not reach the target.
 */
export function noiseMultiplierFor(options: {
  readonly targetEpsilon: number;
  readonly delta: number;
  readonly samplingRate: number;
  readonly steps: number;
  readonly orders?: readonly number[];
  readonly tolerance?: number;
}): number {
  const { targetEpsilon, delta, samplingRate: q, steps } = options;
  const orders = options.orders ?? DEFAULT_RDP_ORDERS;
  const tolerance = options.tolerance ?? 0.01;
  if (!(targetEpsilon > 0) || !(tolerance > 0)) {
    throw new ValidationError(
      "FL_DP_OPTION_INVALID",
      `targetEpsilon and tolerance must be > 0, got ${targetEpsilon} and ${tolerance}`,
    );
  }
  const epsilonAt = (sigma: number): number =>
    epsilonFromRdp(orders, computeRdp(q, sigma, steps, orders), delta).epsilon;
  let low = 0;
  let high = 10;
  let epsHigh = Number.POSITIVE_INFINITY;
  while (epsHigh > targetEpsilon) {
    high *= 2;
    epsHigh = epsilonAt(high);
    if (high > 1e6) {
      throw new ValidationError(
        "FL_DP_BUDGET_TOO_SMALL",
        `no noise multiplier up to 1e6 keeps ε ≤ ${targetEpsilon} at δ = ${delta} over ${steps} steps at q = ${q}`,
        { hint: "allow a larger ε or δ, fewer rounds, or a smaller sampling rate" },
      );
    }
  }
  while (targetEpsilon - epsHigh > tolerance) {
    const sigma = (low + high) / 2;
    const eps = epsilonAt(sigma);
    if (eps < targetEpsilon) {
      high = sigma;
      epsHigh = eps;
    } else {
      low = sigma;
    }
  }
  return high;
}

/** Throws FL_DP_OPTION_INVALID unless 0 ≤ q ≤ 1. */
export function assertSamplingRate(q: number): number {
  if (!(q >= 0 && q <= 1)) {
    throw new ValidationError("FL_DP_OPTION_INVALID", `the sampling rate must be in [0, 1], got ${q}`, {
      hint: "q is the probability that a record (or client) takes part in a step: sampled / population",
    });
  }
  return q;
}

/** Throws FL_DP_OPTION_INVALID unless σ is a finite number ≥ 0. */
export function assertNoiseMultiplier(sigma: number): number {
  if (!(sigma >= 0) || !Number.isFinite(sigma)) {
    throw new ValidationError(
      "FL_DP_OPTION_INVALID",
      `the noise multiplier must be a finite number ≥ 0, got ${sigma}`,
      { hint: "σ is the noise's standard deviation divided by the clipping norm; 1 or more is usual" },
    );
  }
  return sigma;
}

/** Throws FL_DP_OPTION_INVALID unless 0 < δ < 1. */
export function assertDelta(delta: number): number {
  if (!(delta > 0 && delta < 1)) {
    throw new ValidationError("FL_DP_OPTION_INVALID", `δ must be in (0, 1), got ${delta}`, {
      hint: "pick δ well below 1/population, e.g. 1e-5",
    });
  }
  return delta;
}

function assertOrders(orders: readonly number[]): void {
  if (orders.length === 0 || orders.some((a) => !(a > 1))) {
    throw new ValidationError("FL_DP_OPTION_INVALID", "RDP orders must be a non-empty list of numbers > 1", {
      hint: "use DEFAULT_RDP_ORDERS",
    });
  }
}
