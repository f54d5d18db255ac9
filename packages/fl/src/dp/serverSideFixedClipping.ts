import { ValidationError } from "@flock/core";
import type { Arrays } from "../arrays.ts";
import type { Reply } from "../messages.ts";
import type { Strategy } from "../strategy.ts";
import {
  assertDpClippingNorm,
  CentralDp,
  type ClippedAggregate,
  type FixedClippingOptions,
} from "./centralDp.ts";
import { clipReplies, type UpdateNorm } from "./clipReplies.ts";

/**
 * Central DP with server-side fixed clipping (Flower's `DifferentialPrivacyServerSideFixedClipping`; McMahan,
 * Ramage, Talwar, Zhang, "Learning Differentially Private Recurrent Language Models", ICLR 2018,
 * arXiv:1710.06963, DP-FedAvg with flat clipping): the server clips each update Δ = model − global of the
 * round to L2 norm C, the inner strategy aggregates the clipped models, and Gaussian noise of standard
 * deviation z·C/m is added to the result. The server sees updates in the clear, so it cannot wrap secure
 * aggregation: use `DifferentialPrivacyClientSideFixedClipping` for that.
 *
 * The guarantee is the Gaussian mechanism's on the mean with the fixed denominator m: it holds as stated
 * when the inner strategy averages with equal weights over m clients (FedAvg with equal numExamples), as in
 * the paper; with example-weighted means it is, as in Flower, an approximation.
 */
export class DifferentialPrivacyServerSideFixedClipping extends CentralDp {
  readonly name: string;
  readonly clippingNorm: number;
  /** The last round's updates, with their norms before clipping and the factors applied. */
  norms: UpdateNorm[] = [];

  constructor(inner: Strategy, options: FixedClippingOptions) {
    super(inner, options);
    if (inner.trainRound) {
      throw new ValidationError(
        "FL_WRAP_UNSUPPORTED",
        `server-side clipping needs every update in the clear and ${inner.name} runs its own exchange`,
        { hint: "use DifferentialPrivacyClientSideFixedClipping with fixedClippingNode on the nodes" },
      );
    }
    this.clippingNorm = assertDpClippingNorm(options.clippingNorm);
    this.name = `${inner.name}+DP(server, fixed)`;
  }

  protected clipAndAggregate(round: number, global: Arrays, replies: readonly Reply[]): ClippedAggregate {
    const clipped = clipReplies(global, replies, this.clippingNorm);
    this.norms = clipped.norms;
    return {
      result: this.inner.aggregateTrain(round, clipped.replies),
      clippingNorm: this.clippingNorm,
      updateNoiseMultiplier: this.noiseMultiplier,
    };
  }
}
