import { ValidationError } from "@flock/core";
import type { Arrays } from "../arrays.ts";
import type { Reply } from "../messages.ts";
import type { Strategy } from "../strategy.ts";
import { AdaptiveClippingDp, type AdaptiveClippingOptions } from "./adaptiveClipping.ts";
import type { ClippedAggregate } from "./centralDp.ts";
import { clipReplies, type UpdateNorm } from "./clipReplies.ts";

/**
 * Central DP with server-side adaptive clipping (Flower's `DifferentialPrivacyServerSideAdaptiveClipping`;
 * Andrew, Thakkar, McMahan, Ramaswamy, "Differentially Private Learning with Adaptive Clipping", NeurIPS
 * 2021, arXiv:1905.03871): each round the server clips every update to the current norm C, the inner
 * strategy aggregates, noise of standard deviation z_Δ·C/m is added, and C moves geometrically toward the
 * target quantile of the update norms using the noised count of clipped updates.
 *
 * As in the paper (Algorithm 1) the noise is calibrated to the C the round's updates were clipped to and C
 * is updated afterwards; Flower updates C first and noises with the new C, which under-noises a round whose
 * C shrinks. The round's metrics carry `clipping-norm` (this round's C), `clipped-fraction` (noised) and
 * `next-clipping-norm`.
 */
export class DifferentialPrivacyServerSideAdaptiveClipping extends AdaptiveClippingDp {
  readonly name: string;
  /** The last round's updates, with their norms before clipping and the factors applied. */
  norms: UpdateNorm[] = [];

  constructor(inner: Strategy, options: AdaptiveClippingOptions) {
    super(inner, options);
    if (inner.trainRound) {
      throw new ValidationError(
        "FL_WRAP_UNSUPPORTED",
        `server-side clipping needs every update in the clear and ${inner.name} runs its own exchange`,
        {
          hint: "clip on the nodes (fixedClippingNode) and wrap with DifferentialPrivacyClientSideFixedClipping",
        },
      );
    }
    this.name = `${inner.name}+DP(server, adaptive)`;
  }

  protected clipAndAggregate(round: number, global: Arrays, replies: readonly Reply[]): ClippedAggregate {
    const used = this.clippingNorm;
    const clipped = clipReplies(global, replies, used);
    this.norms = clipped.norms;
    const clippedCount = clipped.norms.filter((n) => n.factor < 1).length;
    const result = this.inner.aggregateTrain(round, clipped.replies);
    const fraction = this.adapt(clippedCount, clipped.norms.length);
    return {
      result,
      clippingNorm: used,
      updateNoiseMultiplier: this.split.updateNoiseMultiplier,
      metrics: {
        ...(Number.isFinite(fraction) ? { "clipped-fraction": fraction } : {}),
        "next-clipping-norm": this.clippingNorm,
      },
    };
  }
}
