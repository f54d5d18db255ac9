import { ValidationError } from "@flock/core";
import type { Arrays } from "../arrays.ts";
import type { Config, Reply } from "../messages.ts";
import type { Strategy } from "../strategy.ts";
import { AdaptiveClippingDp, type AdaptiveClippingOptions } from "./adaptiveClipping.ts";
import type { ClippedAggregate } from "./centralDp.ts";
import { NODE_CLIPPING_SLACK } from "./clientSideFixedClipping.ts";
import { clipReplies } from "./clipReplies.ts";
import { KEY_CLIPPING_NORM, KEY_NORM_BIT } from "./noiseCalibration.ts";

/**
 * Central DP with client-side adaptive clipping (Flower's `DifferentialPrivacyClientSideAdaptiveClipping`;
 * Andrew et al. 2021): the server sends the current C (config `clipping-norm`), each node clips its update
 * and reports whether it had to (`adaptiveClippingNode`, metric `norm-bit` 0/1), the inner strategy
 * aggregates, noise of standard deviation z_Δ·C/m is added, and C moves toward the target quantile using the
 * noised count of norm bits. As in the paper, the noise uses the C the nodes clipped to (Flower's uses the
 * updated C), and the geometric update's sign follows the paper (see `nextClippingNorm`).
 *
 * The inner strategy's example-weighted average of `norm-bit` would release the count without noise, so it
 * is removed from the round's metrics; `clipped-fraction` (noised) replaces it. The norm bits must be seen
 * per node, so this wrapper cannot wrap secure aggregation.
 */
export class DifferentialPrivacyClientSideAdaptiveClipping extends AdaptiveClippingDp {
  readonly name: string;
  /** The clipping norm sent to the nodes this round. */
  private sent = Number.NaN;

  constructor(inner: Strategy, options: AdaptiveClippingOptions) {
    super(inner, options);
    if (inner.trainRound) {
      throw new ValidationError(
        "FL_WRAP_UNSUPPORTED",
        `adaptive clipping reads each node's norm bit and ${inner.name} hides individual replies`,
        { hint: "use DifferentialPrivacyClientSideFixedClipping under secure aggregation" },
      );
    }
    this.name = `${inner.name}+DP(client, adaptive)`;
  }

  protected override nodeConfig(): Config {
    this.sent = this.clippingNorm;
    return { [KEY_CLIPPING_NORM]: this.clippingNorm };
  }

  protected clipAndAggregate(round: number, global: Arrays, replies: readonly Reply[]): ClippedAggregate {
    const used = Number.isNaN(this.sent) ? this.clippingNorm : this.sent;
    let clippedCount = 0;
    let counted = 0;
    for (const reply of replies) {
      if (!("update" in reply)) continue;
      const bit = reply.update.metrics[KEY_NORM_BIT];
      if (bit !== 0 && bit !== 1) {
        throw new ValidationError(
          "FL_DP_NORM_BIT_MISSING",
          `node ${reply.nodeId} reported ${KEY_NORM_BIT} = ${bit}; adaptive clipping needs 0 or 1 from every node`,
          { hint: "run the nodes' app as adaptiveClippingNode(app)" },
        );
      }
      clippedCount += bit;
      counted++;
    }
    const checked = clipReplies(global, replies, used, NODE_CLIPPING_SLACK);
    const result = this.inner.aggregateTrain(round, checked.replies);
    const fraction = this.adapt(clippedCount, counted);
    const { [KEY_NORM_BIT]: _unnoised, ...metrics } = result.metrics ?? {};
    return {
      result: { ...result, metrics },
      clippingNorm: used,
      updateNoiseMultiplier: this.split.updateNoiseMultiplier,
      metrics: {
        ...(Number.isFinite(fraction) ? { "clipped-fraction": fraction } : {}),
        "next-clipping-norm": this.clippingNorm,
        "overnorm-updates": checked.norms.filter((n) => n.factor < 1).length,
      },
    };
  }
}
