import { ValidationError } from "@flock/core";

/** The config key carrying the clipping norm to nodes that clip their own updates (Flower's `clipping_norm`). */
export const KEY_CLIPPING_NORM = "clipping-norm";

/** The metric a node reports as 1 when its update was clipped, else 0 (Flower's `norm_bit`). */
export const KEY_NORM_BIT = "norm-bit";

/**
 * The standard deviation of the noise added to the mean of m clipped updates: z·C/m (Flower's
 * `compute_stdv`; McMahan, Ramage, Talwar, Zhang, "Learning Differentially Private Recurrent Language
 * Models", ICLR 2018, arXiv:1710.06963: noise z·C on the sum, divided by the fixed number of clients).
 */
export function centralNoiseStd(
  noiseMultiplier: number,
  clippingNorm: number,
  numSampledClients: number,
): number {
  return (noiseMultiplier * clippingNorm) / numSampledClients;
}

/** The split of a noise budget between the model update and the clipped count, for adaptive clipping. */
export interface AdaptiveNoise {
  /** σ_b, the standard deviation of the noise added to the count of clipped updates. */
  readonly clippedCountStddev: number;
  /** z_Δ, the noise multiplier of the model update, so that the two releases together cost z. */
  readonly updateNoiseMultiplier: number;
}

/**
 * Andrew, Thakkar, McMahan, Ramaswamy, "Differentially Private Learning with Adaptive Clipping", NeurIPS
 * 2021 (arXiv:1905.03871, Theorem 1): releasing the clipped count with noise σ_b and the update sum with
 * multiplier z_Δ costs as much as one Gaussian mechanism of multiplier z when
 *   z_Δ = (z⁻² − (2σ_b)⁻²)^{−1/2}.
 * Flower's `compute_adaptive_noise_params`: σ_b defaults to m/20 (the paper's advice); with z = 0 both are 0
 * (σ_b as given). Throws FL_DP_OPTION_INVALID when z ≥ 2σ_b (no z_Δ exists).
 */
export function adaptiveNoise(
  noiseMultiplier: number,
  numSampledClients: number,
  clippedCountStddev?: number,
): AdaptiveNoise {
  if (!(noiseMultiplier > 0)) {
    return { clippedCountStddev: clippedCountStddev ?? 0, updateNoiseMultiplier: 0 };
  }
  const sigmaB = clippedCountStddev ?? numSampledClients / 20;
  if (noiseMultiplier >= 2 * sigmaB) {
    throw new ValidationError(
      "FL_DP_OPTION_INVALID",
      `a noise multiplier of ${noiseMultiplier} needs clippedCountStddev > ${noiseMultiplier / 2}, got ${sigmaB}${clippedCountStddev === undefined ? ` (the default, numSampledClients / 20)` : ""}`,
      { hint: "raise clippedCountStddev or numSampledClients, or lower the noise multiplier" },
    );
  }
  return {
    clippedCountStddev: sigmaB,
    updateNoiseMultiplier: (noiseMultiplier ** -2 - (2 * sigmaB) ** -2) ** -0.5,
  };
}

/**
 * The standard deviation of local DP noise: Δ·√(2·ln(1.25/δ))/ε, the classic Gaussian mechanism (Dwork &
 * Roth, "The Algorithmic Foundations of Differential Privacy", 2014, Theorem A.1; Flower's `LocalDpMod`).
 * The theorem holds for ε < 1; larger ε gives a noise level without that guarantee.
 */
export function localDpNoiseStd(sensitivity: number, epsilon: number, delta: number): number {
  return (sensitivity * Math.sqrt(2 * Math.log(1.25 / delta))) / epsilon;
}

/** Throws FL_DP_OPTION_INVALID unless `value` is a finite number > 0. */
export function assertPositive(value: number, name: string, hint: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new ValidationError("FL_DP_OPTION_INVALID", `${name} must be a finite number > 0, got ${value}`, {
      hint,
    });
  }
  return value;
}
