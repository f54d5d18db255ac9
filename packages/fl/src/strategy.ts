import type { Arrays } from "./arrays.ts";
import type { Grid, SendOptions } from "./grid.ts";
import type { Config, Message, Metrics, Reply } from "./messages.ts";

/** What a strategy makes of a round's training replies: the new global arrays (if any) and metrics. */
export interface TrainResult {
  readonly arrays?: Arrays;
  readonly metrics?: Metrics;
}

/**
 * An aggregation strategy (Flower's `Strategy`): it picks the nodes of a round and what to send them, and
 * turns their replies into the next global model. It keeps its own state across rounds (momentum, server
 * optimizer moments, clipping norms) and sees the transport only through `Grid`.
 */
export interface Strategy {
  readonly name: string;
  configureTrain(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]>;
  aggregateTrain(round: number, replies: readonly Reply[]): TrainResult;
  configureEvaluate(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]>;
  aggregateEvaluate(round: number, replies: readonly Reply[]): Metrics | undefined;
  /**
   * Runs a whole training exchange itself, when one message and one reply per node are not enough (secure
   * aggregation's stages). When present, the round loop calls it instead of configureTrain, one
   * sendAndReceive and aggregateTrain.
   */
  trainRound?(
    round: number,
    arrays: Arrays,
    config: Config,
    grid: Grid,
    options: SendOptions,
  ): Promise<TrainRound>;
}

/** A training exchange run by the strategy itself: its result and the counts the round records. */
export interface TrainRound extends TrainResult {
  readonly sent: number;
  readonly replied: number;
  readonly failed: number;
}

/**
 * A strategy whose aggregate is a function of the weighted mean of the updates only (FedAvg, FedAvgM,
 * FedAdam, FedYogi, FedAdagrad): what secure aggregation can wrap, since it reveals only a sum.
 */
export interface LinearStrategy extends Strategy {
  readonly linear: true;
  /** The weight of a node's update in the mean (Flower: its number of examples). */
  weightOf(update: { numExamples: number }): number;
  /**
   * The new global arrays from the weighted mean of the round's updates (`mean`, in the model's layout,
   * float64) and the sum of the weights; `metrics` are the aggregated training metrics.
   */
  aggregateMean(round: number, mean: Float64Array, totalWeight: number, metrics: Metrics): TrainResult;
}

export function isLinear(strategy: Strategy): strategy is LinearStrategy {
  return (strategy as Partial<LinearStrategy>).linear === true;
}
