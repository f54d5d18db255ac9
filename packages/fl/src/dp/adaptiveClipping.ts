import { ValidationError } from "@flock/core";
import type { Strategy } from "../strategy.ts";
import { CentralDp, type CentralDpOptions } from "./centralDp.ts";
import { gaussianSample } from "./gaussianNoise.ts";
import { type AdaptiveNoise, adaptiveNoise, assertPositive } from "./noiseCalibration.ts";

/** Adaptive clipping's options (Flower's names and defaults, from Andrew et al.'s advice). */
export interface AdaptiveClippingOptions extends CentralDpOptions {
  /** C₀, the first round's clipping norm (default 0.1). */
  readonly initialClippingNorm?: number;
  /** γ, the fraction of updates that should be clipped (default 0.5: C tracks the median norm). */
  readonly targetClippedQuantile?: number;
  /** η_C, the learning rate of the geometric update of C (default 0.2). */
  readonly clipNormLr?: number;
  /** σ_b, the noise on the count of clipped updates (default numSampledClients / 20). */
  readonly clippedCountStddev?: number;
}

/**
 * The geometric clipping-norm update of Andrew, Thakkar, McMahan, Ramaswamy, "Differentially Private
 * Learning with Adaptive Clipping", NeurIPS 2021 (arXiv:1905.03871, Algorithm 1), written with the fraction
 * of clipped updates f̃ (noised) and its target γ: C ← C·exp(η_C·(f̃ − γ)). Too many clipped updates raise
 * C, too few lower it, so C converges to the γ-quantile of the update norms from above or below.
 *
 * The paper's b̄ is the fraction of unclipped updates and its γ the unclipped target: C·exp(−η(b̄ − γ_u)) is
 * the same update. Flower (`_geometric_update` in `dp_adaptive_clipping.py`) applies the paper's minus sign
 * to the clipped fraction, which moves C away from the target; this follows the paper.
 */
export function nextClippingNorm(
  clippingNorm: number,
  clippedFraction: number,
  targetClippedQuantile: number,
  clipNormLr: number,
): number {
  return clippingNorm * Math.exp(clipNormLr * (clippedFraction - targetClippedQuantile));
}

/**
 * The base of both adaptive-clipping wrappers: Flower's parameters and checks, the split of the noise budget
 * (`adaptiveNoise`), the noised clipped fraction (count + N(0, σ_b²)) / replies, and the norm update.
 */
export abstract class AdaptiveClippingDp extends CentralDp {
  /** The clipping norm of the next round. */
  clippingNorm: number;
  readonly targetClippedQuantile: number;
  readonly clipNormLr: number;
  /** σ_b and z_Δ, from the noise multiplier z (Andrew et al., Theorem 1). */
  readonly split: AdaptiveNoise;

  constructor(inner: Strategy, options: AdaptiveClippingOptions) {
    super(inner, options);
    this.clippingNorm = assertPositive(
      options.initialClippingNorm ?? 0.1,
      "initialClippingNorm",
      "Andrew et al. start from 0.1",
    );
    const gamma = options.targetClippedQuantile ?? 0.5;
    if (!(gamma >= 0 && gamma <= 1)) {
      throw new ValidationError(
        "FL_DP_OPTION_INVALID",
        `targetClippedQuantile must be in [0, 1], got ${gamma}`,
        {
          hint: "0.5 clips the updates above the median norm",
        },
      );
    }
    this.targetClippedQuantile = gamma;
    this.clipNormLr = assertPositive(options.clipNormLr ?? 0.2, "clipNormLr", "Andrew et al. use 0.2");
    if (options.clippedCountStddev !== undefined && !(options.clippedCountStddev >= 0)) {
      throw new ValidationError(
        "FL_DP_OPTION_INVALID",
        `clippedCountStddev must be ≥ 0, got ${options.clippedCountStddev}`,
      );
    }
    this.split = adaptiveNoise(this.noiseMultiplier, this.numSampledClients, options.clippedCountStddev);
  }

  /**
   * Noises the count of clipped updates, (count + N(0, σ_b²)) / replies, moves C toward the target
   * quantile and returns the noised fraction (the only view of the count the server releases).
   */
  protected adapt(clippedCount: number, replies: number): number {
    if (replies === 0) return Number.NaN;
    const fraction = gaussianSample(clippedCount, this.split.clippedCountStddev, this.noise) / replies;
    this.clippingNorm = nextClippingNorm(
      this.clippingNorm,
      fraction,
      this.targetClippedQuantile,
      this.clipNormLr,
    );
    return fraction;
  }
}
