import {
  type CentralDpOptions,
  DifferentialPrivacyServerSideAdaptiveClipping,
  DifferentialPrivacyServerSideFixedClipping,
  type Strategy,
} from "@flock/fl";

/**
 * The central-DP wrappers `flock fl simulate --dp` offers. The simulated nodes train in the clear and the
 * server clips: fixed clipping (McMahan et al. 2018, DP-FedAvg) or adaptive clipping toward the median
 * update norm (Andrew et al. 2021). Client-side clipping and local DP need the clipping on the nodes.
 */
export type DpMode = "off" | "server-fixed" | "server-adaptive";

export interface SimulationDpOptions extends CentralDpOptions {
  /** C for fixed clipping; C₀ for adaptive clipping. */
  readonly clippingNorm: number;
}

/**
 * `strategy` wrapped in the DP mode. Rounds with dropouts still release a noised model (`acceptFailures`;
 * Flower skips them, which stalls a simulation with dropouts): the noise stays calibrated to the m sampled
 * clients, so in such a round the mean over fewer updates is less protected than the reported ε says.
 */
export function wrapWithDp(
  strategy: Strategy,
  mode: Exclude<DpMode, "off">,
  options: SimulationDpOptions,
): Strategy {
  const common = { ...options, acceptFailures: true };
  switch (mode) {
    case "server-fixed":
      return new DifferentialPrivacyServerSideFixedClipping(strategy, common);
    case "server-adaptive":
      return new DifferentialPrivacyServerSideAdaptiveClipping(strategy, {
        ...common,
        initialClippingNorm: options.clippingNorm,
        // Andrew et al. advise σ_b = m/20; the noise split needs σ_b > z/2, so small rounds take σ_b = z
        // (then the model's noise multiplier is z_Δ = z·2/√3).
        clippedCountStddev: Math.max(options.numSampledClients / 20, options.noiseMultiplier),
      });
    default:
      return mode satisfies never;
  }
}
