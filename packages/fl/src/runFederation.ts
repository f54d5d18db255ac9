import { ValidationError } from "@flock/core";
import type { Arrays } from "./arrays.ts";
import type { Grid } from "./grid.ts";
import { type Config, isError, type Metrics, type Reply } from "./messages.ts";
import type { Strategy, TrainResult } from "./strategy.ts";

/** What happened in one round. */
export interface RoundRecord {
  readonly round: number;
  /** Nodes sent a training message, replies received, and error replies among them. */
  readonly sent: number;
  readonly replied: number;
  readonly failed: number;
  /** Nodes that did not answer before the round's deadline. */
  readonly timedOut: number;
  readonly trainMetrics?: Metrics;
  readonly evaluateMetrics?: Metrics;
  /** The server-side evaluation of the round's new global model (`evaluate` option). */
  readonly centralMetrics?: Metrics;
  readonly durationMs: number;
}

export interface FederationOptions {
  readonly strategy: Strategy;
  readonly grid: Grid;
  readonly initialArrays: Arrays;
  readonly rounds: number;
  readonly trainConfig?: Config | ((round: number) => Config);
  readonly evaluateConfig?: Config | ((round: number) => Config);
  /** Per-round deadline for replies in ms (stragglers are dropped). */
  readonly roundTimeoutMs?: number;
  /** Server-side evaluation of the global model, after round 0 (initial) and each round. */
  readonly evaluate?: (round: number, arrays: Arrays) => Promise<Metrics> | Metrics;
  /** Called with each reply (progress within a round). */
  readonly onReply?: (round: number, reply: Reply, sent: number) => void;
  /** Called after each round. */
  readonly onRound?: (record: RoundRecord, arrays: Arrays) => void;
}

export interface FederationResult {
  readonly arrays: Arrays;
  /** The initial model's central metrics (round 0), when `evaluate` is given. */
  readonly initialMetrics?: Metrics;
  readonly rounds: RoundRecord[];
}

/**
 * The round loop (Flower's `Strategy.start`): each round the strategy configures training, the grid carries
 * the messages, the strategy aggregates the replies into the next global model, then (optionally) evaluates
 * it on the nodes and on the server. A round with no usable update keeps the previous model.
 */
export async function runFederation(options: FederationOptions): Promise<FederationResult> {
  const { strategy, grid, rounds } = options;
  if (!Number.isSafeInteger(rounds) || rounds < 1) {
    throw new ValidationError("FL_OPTION_INVALID", `rounds must be a whole number ≥ 1, got ${rounds}`);
  }
  const configOf = (c: FederationOptions["trainConfig"], round: number): Config =>
    typeof c === "function" ? c(round) : (c ?? {});
  let arrays = options.initialArrays;
  const initialMetrics = options.evaluate ? await options.evaluate(0, arrays) : undefined;
  const records: RoundRecord[] = [];
  for (let round = 1; round <= rounds; round++) {
    const started = Date.now();
    const sendOptions = {
      ...(options.roundTimeoutMs === undefined ? {} : { timeoutMs: options.roundTimeoutMs }),
    };
    let counts: { sent: number; replied: number; failed: number };
    let trained: TrainResult;
    if (strategy.trainRound) {
      const outcome = await strategy.trainRound(round, arrays, configOf(options.trainConfig, round), grid, {
        ...sendOptions,
        onReply: (reply) => options.onReply?.(round, reply, 0),
      });
      trained = outcome;
      counts = { sent: outcome.sent, replied: outcome.replied, failed: outcome.failed };
    } else {
      const messages = await strategy.configureTrain(
        round,
        arrays,
        configOf(options.trainConfig, round),
        grid,
      );
      const replies = await grid.sendAndReceive(messages, {
        ...sendOptions,
        onReply: (reply) => options.onReply?.(round, reply, messages.length),
      });
      trained = strategy.aggregateTrain(round, replies);
      counts = { sent: messages.length, replied: replies.length, failed: replies.filter(isError).length };
    }
    if (trained.arrays) arrays = trained.arrays;
    const evalMessages = await strategy.configureEvaluate(
      round,
      arrays,
      configOf(options.evaluateConfig, round),
      grid,
    );
    const evalReplies =
      evalMessages.length === 0
        ? []
        : await grid.sendAndReceive(
            evalMessages,
            options.roundTimeoutMs === undefined ? {} : { timeoutMs: options.roundTimeoutMs },
          );
    const evaluateMetrics = strategy.aggregateEvaluate(round, evalReplies);
    const centralMetrics = options.evaluate ? await options.evaluate(round, arrays) : undefined;
    const record: RoundRecord = {
      round,
      ...counts,
      timedOut: counts.sent - counts.replied,
      ...(trained.metrics ? { trainMetrics: trained.metrics } : {}),
      ...(evaluateMetrics ? { evaluateMetrics } : {}),
      ...(centralMetrics ? { centralMetrics } : {}),
      durationMs: Date.now() - started,
    };
    records.push(record);
    options.onRound?.(record, arrays);
  }
  return { arrays, ...(initialMetrics ? { initialMetrics } : {}), rounds: records };
}
