import { ValidationError } from "@flock/core";
import type { Arrays } from "../arrays.ts";
import { assertClippingNorm, clipModelUpdate } from "../clipping.ts";
import type { Grid } from "../grid.ts";
import type { Config, Message, Metrics, Reply } from "../messages.ts";
import type { Strategy, TrainResult } from "../strategy.ts";
import type { RejectedUpdate } from "./sampledStrategy.ts";

export interface NormClippingOptions {
  /** C, the largest L2 norm an update (a node's model minus the round's global model) may keep. */
  readonly clippingNorm: number;
}

/** One update's clipping in the last round: its norm before clipping and the factor applied (≤ 1). */
export interface ClipRecord {
  readonly nodeId: string;
  readonly norm: number;
  readonly factor: number;
}

/**
 * Central norm clipping — Sun, Kairouz, Suresh, McMahan, "Can You Really Backdoor Federated Learning?",
 * arXiv:1911.07963, 2019 (§4, norm thresholding of updates): a wrapper around any strategy that clips each
 * node's update Δ = model − global to L2 norm C, over all arrays together, before the inner strategy sees
 * it: Δ · min(1, C / ‖Δ‖) (Flower's `compute_clip_model_update`, as its server-side fixed-clipping DP
 * wrapper does before adding noise; here without noise). Updates that do not match the model's layout or
 * hold NaN are passed on unclipped, for the inner strategy to reject. Not linear (each update is clipped on
 * its own), so it cannot wrap, nor be wrapped by, secure aggregation.
 */
export class NormClipping implements Strategy {
  readonly name: string;
  readonly clippingNorm: number;
  /** The updates of the last round, with their norms and the factors applied. */
  clipped: ClipRecord[] = [];
  private current: Arrays | undefined;

  /** The wrapped strategy, which aggregates the clipped updates. */
  readonly inner: Strategy;

  constructor(inner: Strategy, options: NormClippingOptions) {
    if (inner.trainRound) {
      throw new ValidationError(
        "FL_WRAP_UNSUPPORTED",
        `central norm clipping needs every update in the clear and ${inner.name} runs its own exchange`,
        { hint: "clip on the nodes before secure aggregation instead" },
      );
    }
    this.clippingNorm = assertClippingNorm(options.clippingNorm);
    this.inner = inner;
    this.name = `${inner.name}+NormClipping`;
  }

  /** The inner strategy's rejected updates of the last round (when it keeps that list). */
  get rejected(): readonly RejectedUpdate[] {
    return (this.inner as { rejected?: RejectedUpdate[] }).rejected ?? [];
  }

  configureTrain(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]> {
    this.current = arrays;
    return this.inner.configureTrain(round, arrays, config, grid);
  }

  aggregateTrain(round: number, replies: readonly Reply[]): TrainResult {
    const global = this.current;
    if (!global) {
      throw new ValidationError("FL_NOT_CONFIGURED", `${this.name} aggregated before it configured a round`, {
        hint: "call configureTrain first",
      });
    }
    this.clipped = [];
    const clippedReplies = replies.map((reply): Reply => {
      if (!("update" in reply)) return reply;
      let result: ReturnType<typeof clipModelUpdate>;
      try {
        result = clipModelUpdate(global, reply.update.arrays, this.clippingNorm);
      } catch {
        return reply;
      }
      if (!Number.isFinite(result.norm)) return reply;
      this.clipped.push({ nodeId: reply.nodeId, norm: result.norm, factor: result.factor });
      return { ...reply, update: { ...reply.update, arrays: result.arrays } };
    });
    return this.inner.aggregateTrain(round, clippedReplies);
  }

  configureEvaluate(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]> {
    return this.inner.configureEvaluate(round, arrays, config, grid);
  }

  aggregateEvaluate(round: number, replies: readonly Reply[]): Metrics | undefined {
    return this.inner.aggregateEvaluate(round, replies);
  }
}
