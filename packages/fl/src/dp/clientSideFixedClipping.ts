import type { Arrays } from "../arrays.ts";
import type { Grid, SendOptions } from "../grid.ts";
import type { Config, Reply } from "../messages.ts";
import type { Strategy, TrainRound } from "../strategy.ts";
import {
  assertDpClippingNorm,
  CentralDp,
  type ClippedAggregate,
  type FixedClippingOptions,
} from "./centralDp.ts";
import { clipReplies, type UpdateNorm } from "./clipReplies.ts";
import { KEY_CLIPPING_NORM } from "./noiseCalibration.ts";

/** Relative slack allowed above C for updates the nodes clipped themselves (float32 rounding). */
export const NODE_CLIPPING_SLACK = 1e-5;

/**
 * Central DP with client-side fixed clipping (Flower's `DifferentialPrivacyClientSideFixedClipping`): the
 * server sends C to the nodes (config `clipping-norm`), each node clips its own update (`fixedClippingNode`),
 * and the server adds noise of standard deviation z·C/m to the aggregate. Because the server never needs an
 * update in the clear, it also wraps secure aggregation (`SecAggPlus`, with `secAggPlusNode(
 * fixedClippingNode(app))` on the nodes): the noise goes on the unmasked sum.
 *
 * Unlike Flower, when updates are visible the server checks them: an update whose norm exceeds C by more
 * than float32 rounding is clipped here (counted in the metric `overnorm-updates`), so a node that skips
 * clipping cannot void the guarantee. Under secure aggregation that check is impossible; the nodes are
 * trusted to clip.
 */
export class DifferentialPrivacyClientSideFixedClipping extends CentralDp {
  readonly name: string;
  readonly clippingNorm: number;
  /** The last round's visible updates with their norms (factor < 1: clipped here, the node did not). */
  norms: UpdateNorm[] = [];
  readonly trainRound?: (
    round: number,
    arrays: Arrays,
    config: Config,
    grid: Grid,
    options: SendOptions,
  ) => Promise<TrainRound>;

  constructor(inner: Strategy, options: FixedClippingOptions) {
    super(inner, options);
    this.clippingNorm = assertDpClippingNorm(options.clippingNorm);
    this.name = `${inner.name}+DP(client, fixed)`;
    const innerRound = inner.trainRound?.bind(inner);
    if (innerRound) {
      this.trainRound = async (round, arrays, config, grid, sendOptions) => {
        await this.startRound(arrays, grid);
        const outcome = await innerRound(
          round,
          arrays,
          { ...config, ...this.nodeConfig() },
          grid,
          sendOptions,
        );
        const counts = { sent: outcome.sent, replied: outcome.replied, failed: outcome.failed };
        if (outcome.failed > 0 && !this.acceptFailures)
          return { ...this.skip(round, outcome.failed), ...counts };
        const clipped = {
          result: outcome,
          clippingNorm: this.clippingNorm,
          updateNoiseMultiplier: this.noiseMultiplier,
        };
        const released = this.release(round, clipped, outcome.replied - outcome.failed);
        return { ...released, ...counts };
      };
    }
  }

  protected override nodeConfig(): Config {
    return { [KEY_CLIPPING_NORM]: this.clippingNorm };
  }

  protected clipAndAggregate(round: number, global: Arrays, replies: readonly Reply[]): ClippedAggregate {
    const checked = clipReplies(global, replies, this.clippingNorm, NODE_CLIPPING_SLACK);
    this.norms = checked.norms;
    return {
      result: this.inner.aggregateTrain(round, checked.replies),
      clippingNorm: this.clippingNorm,
      updateNoiseMultiplier: this.noiseMultiplier,
      metrics: { "overnorm-updates": checked.norms.filter((n) => n.factor < 1).length },
    };
  }
}
