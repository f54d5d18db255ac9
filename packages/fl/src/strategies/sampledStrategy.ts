import { ValidationError } from "@flock/core";
import { type Arrays, type ArraysLayout, allFinite, assertLayout, layoutOf } from "../arrays.ts";
import type { Grid } from "../grid.ts";
import {
  type Config,
  evaluationsOf,
  type Message,
  type Metrics,
  type Reply,
  type Update,
  updatesOf,
} from "../messages.ts";
import { weightedMetrics } from "../metrics.ts";
import { sampleNodes, sampleSize } from "../sampling.ts";
import type { Strategy, TrainResult } from "../strategy.ts";

/** Node sampling options shared by every strategy (Flower's FedAvg constructor arguments). */
export interface SampledStrategyOptions {
  /** Fraction of available nodes sampled for training each round (default 1). */
  readonly fractionTrain?: number;
  /** Fraction of available nodes sampled for evaluation each round (default 1; 0 turns it off). */
  readonly fractionEvaluate?: number;
  /** Never sample fewer nodes than this for training (default 2). */
  readonly minTrainNodes?: number;
  /** Never sample fewer nodes than this for evaluation (default 2). */
  readonly minEvaluateNodes?: number;
  /** A round does not start with fewer available nodes (default 2). */
  readonly minAvailableNodes?: number;
  /** Seed of node sampling (default 0): the same seed samples the same nodes every run. */
  readonly seed?: number;
}

/** A malformed update left out of a round's aggregate, and why. */
export interface RejectedUpdate {
  readonly nodeId: string;
  readonly code: string;
  readonly message: string;
}

/**
 * The part of every strategy that is not aggregation (Flower's FedAvg base, which the other strategies
 * subclass): seeded node sampling, the train and evaluate messages, checking replies against the model's
 * layout, and example-weighted metric aggregation. Subclasses implement `aggregateTrain`.
 */
export abstract class SampledStrategy implements Strategy {
  abstract readonly name: string;
  protected readonly fractionTrain: number;
  protected readonly fractionEvaluate: number;
  protected readonly minTrainNodes: number;
  protected readonly minEvaluateNodes: number;
  protected readonly minAvailableNodes: number;
  protected readonly seed: number;
  /** The global arrays the current round started from (set by configureTrain). */
  protected current: Arrays | undefined;
  protected layout: ArraysLayout | undefined;
  /** Updates of the last aggregated round left out as malformed, with why. */
  rejected: RejectedUpdate[] = [];

  constructor(options: SampledStrategyOptions = {}) {
    this.fractionTrain = fraction(options.fractionTrain ?? 1, "fractionTrain");
    this.fractionEvaluate = fraction(options.fractionEvaluate ?? 1, "fractionEvaluate");
    this.minTrainNodes = count(options.minTrainNodes ?? 2, "minTrainNodes");
    this.minEvaluateNodes = count(options.minEvaluateNodes ?? 2, "minEvaluateNodes");
    this.minAvailableNodes = count(options.minAvailableNodes ?? 2, "minAvailableNodes");
    this.seed = options.seed ?? 0;
  }

  async configureTrain(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]> {
    this.current = arrays;
    this.layout = layoutOf(arrays);
    const nodes = await this.sample(grid, this.fractionTrain, this.minTrainNodes, 2 * round);
    return nodes.map((nodeId) => ({
      nodeId,
      kind: "train",
      round,
      arrays,
      config: this.trainConfig(round, config),
    }));
  }

  /** The config each training message carries (subclasses add their own keys, e.g. FedProx's μ). */
  protected trainConfig(round: number, config: Config): Config {
    return { ...config, "server-round": round };
  }

  abstract aggregateTrain(round: number, replies: readonly Reply[]): TrainResult;

  async configureEvaluate(round: number, arrays: Arrays, config: Config, grid: Grid): Promise<Message[]> {
    if (this.fractionEvaluate === 0) return [];
    const nodes = await this.sample(grid, this.fractionEvaluate, this.minEvaluateNodes, 2 * round + 1);
    return nodes.map((nodeId) => ({
      nodeId,
      kind: "evaluate",
      round,
      arrays,
      config: { ...config, "server-round": round },
    }));
  }

  aggregateEvaluate(_round: number, replies: readonly Reply[]): Metrics | undefined {
    const evaluations = evaluationsOf(replies).map((e) => e.evaluation);
    if (evaluations.length === 0) return undefined;
    return weightedMetrics(evaluations);
  }

  /**
   * The training updates of a round that match the model's layout and carry a positive, finite weight.
   * The others are left out of the aggregate and listed in `rejected` (a malformed update never fails a
   * round for everyone).
   */
  protected validUpdates(replies: readonly Reply[]): Update[] {
    return this.validReplies(replies).map((r) => r.update);
  }

  /**
   * `validUpdates` with the node each update came from, in reply order. `checkValues: false` skips the scan
   * for NaN and infinities (layout and weights are still checked), for a caller that detects them itself.
   */
  protected validReplies(
    replies: readonly Reply[],
    checkValues = true,
  ): { nodeId: string; update: Update }[] {
    const layout = this.requireLayout();
    this.rejected = [];
    const valid: { nodeId: string; update: Update }[] = [];
    for (const { nodeId, update } of updatesOf(replies)) {
      try {
        assertLayout(layout, update.arrays, `node ${nodeId}'s update`);
        if (!(update.numExamples > 0) || !Number.isFinite(update.numExamples)) {
          throw new ValidationError(
            "FL_UPDATE_INVALID",
            `node ${nodeId} reports ${update.numExamples} examples`,
          );
        }
        for (const p of checkValues ? update.arrays.values() : []) {
          if (!allFinite(p.data)) {
            throw new ValidationError(
              "FL_UPDATE_INVALID",
              `node ${nodeId}'s update holds a NaN or infinite value`,
            );
          }
        }
        valid.push({ nodeId, update });
      } catch (error) {
        const e = error as { code?: string; message: string };
        this.rejected.push({ nodeId, code: e.code ?? "FL_UPDATE_INVALID", message: e.message });
      }
    }
    return valid;
  }

  protected requireLayout(): ArraysLayout {
    if (!this.layout) {
      throw new ValidationError("FL_NOT_CONFIGURED", `${this.name} aggregated before it configured a round`, {
        hint: "call configureTrain first",
      });
    }
    return this.layout;
  }

  protected async sample(grid: Grid, fractionOf: number, minimum: number, stream: number): Promise<string[]> {
    const ids = await grid.nodeIds();
    if (ids.length < this.minAvailableNodes) {
      throw new ValidationError(
        "FL_NOT_ENOUGH_NODES",
        `${ids.length} nodes are available and ${this.name} needs at least ${this.minAvailableNodes}`,
        { hint: "wait for more nodes or lower minAvailableNodes" },
      );
    }
    return sampleNodes(
      ids,
      Math.min(sampleSize(ids.length, fractionOf, minimum), ids.length),
      this.seed,
      stream,
    );
  }
}

function fraction(value: number, name: string): number {
  if (!(value >= 0 && value <= 1)) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be in [0, 1], got ${value}`);
  }
  return value;
}

function count(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ValidationError("FL_OPTION_INVALID", `${name} must be a whole number ≥ 0, got ${value}`);
  }
  return value;
}
