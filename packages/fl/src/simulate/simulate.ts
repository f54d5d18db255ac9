import { FlockError, ProtocolError } from "@flock/core";
import { mixSeed } from "@flock/engine";
import type { Arrays } from "../arrays.ts";
import { addContributions, roundContribution } from "../contribution/index.ts";
import type { Config, NodeId } from "../messages.ts";
import { runFederation } from "../runFederation.ts";
import { SecAggPlus, secAggPlusNode } from "../secagg/index.ts";
import type { FedAvgOptions } from "../strategies/fedAvg.ts";
import { STRATEGIES } from "../strategies/registry.ts";
import type { LinearStrategy, Strategy } from "../strategy.ts";
import { loadDataset } from "./datasets.ts";
import { Evaluator } from "./evaluator.ts";
import { flattenModel, initialArrays, modelConfig, unflattenModel } from "./model.ts";
import {
  type ResolvedOptions,
  resolveOptions,
  type SimulationOptions,
  type StrategySpec,
} from "./options.ts";
import { createPartition } from "./partition.ts";
import { Population } from "./population.ts";
import { dpNode, withDp } from "./privacy.ts";
import type {
  ContributionEntry,
  ContributionSummary,
  SimulationResult,
  SimulationRound,
  StrategyRun,
} from "./result.ts";
import { type ReceivedUpdates, SimulationGrid } from "./simulationGrid.ts";
import { type ClientRunner, InlineTrainer, WorkerPool } from "./workerPool.ts";

/** Progress within a round: `trained` of the round's `sampled` clients have finished. */
export interface SimulationProgress {
  readonly strategy: string;
  readonly round: number;
  readonly rounds: number;
  readonly trained: number;
  readonly sampled: number;
}

/** Callbacks of a running simulation (for a progress bar and a live table). */
export interface SimulationHooks {
  /** After each round of each strategy. */
  readonly onRound?: (strategy: string, round: SimulationRound) => void;
  /** As each client finishes training. */
  readonly onProgress?: (progress: SimulationProgress) => void;
}

/**
 * Runs a whole federation in-process for each strategy (same population, seed and samples), with client
 * training on a `worker_threads` pool, the global model evaluated on the test split after every round, and
 * the simulated failures and attacks of `options`. Deterministic under `options.seed`: the same options give
 * the same result except the wall-clock fields (`durationMs`, `clientsPerSecond`, `peakRssBytes`).
 */
export async function simulate(
  options: SimulationOptions = {},
  hooks: SimulationHooks = {},
): Promise<SimulationResult> {
  const o = resolveOptions(options);
  const data = loadDataset(o.dataset);
  const config = modelConfig(data, o.hidden);
  const partition = createPartition(data.train, data.numClasses, {
    numClients: o.clients,
    labels: o.partition.labels,
    quantity: o.partition.quantity,
    ...(o.partition.examplesPerClient === undefined
      ? {}
      : { examplesPerClient: o.partition.examplesPerClient }),
    seed: o.seed,
  });
  const population = new Population({
    partition,
    seed: o.seed,
    dropout: o.dropout,
    ...(o.stragglers ? { stragglers: o.stragglers } : {}),
    ...(o.byzantine ? { byzantine: o.byzantine } : {}),
  });
  // Build every strategy once before any thread starts, so their option errors come first.
  for (const spec of o.strategies) buildStrategy(o, spec);
  const runner: ClientRunner = o.workers === 0 ? new InlineTrainer() : new WorkerPool(o.workers);
  let evaluator: Evaluator | undefined;
  let peakRss = process.memoryUsage().rss;
  try {
    evaluator = await Evaluator.create(config);
    await runner.ready();
    const start = initialArrays(config, o.seed);
    const centralized = o.centralized ? await trainCentrally(o, runner, evaluator, start) : undefined;
    const runs: StrategyRun[] = [];
    for (const spec of o.strategies) {
      runs.push(await runStrategy(o, spec, { data, config, population, runner, evaluator, start }, hooks));
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
    return {
      options: { ...o, strategies: o.strategies.map((s) => ({ name: s.name, label: labelOf(s) })) },
      dataset: {
        name: data.name,
        trainRows: data.train.rows,
        testRows: data.test.rows,
        numFeatures: data.numFeatures,
        numClasses: data.numClasses,
      },
      model: { hidden: o.hidden, parameters: flattenModel(config, start).length },
      population: { clients: o.clients, exact: partition.exact, byzantine: population.byzantineCount },
      ...(centralized ? { centralized } : {}),
      strategies: runs,
      threads: runner.threads,
      peakRssBytes: Math.max(peakRss, process.resourceUsage().maxRSS * 1024),
    };
  } finally {
    await evaluator?.release();
    await runner.close();
  }
}

const labelOf = (s: StrategySpec): string => s.label ?? s.name;

interface Context {
  readonly data: ReturnType<typeof loadDataset>;
  readonly config: ReturnType<typeof modelConfig>;
  readonly population: Population;
  readonly runner: ClientRunner;
  readonly evaluator: Evaluator;
  readonly start: Arrays;
}

function buildStrategy(o: ResolvedOptions, spec: StrategySpec): Strategy {
  const common: FedAvgOptions = {
    fractionTrain: 0,
    minTrainNodes: o.clientsPerRound,
    minAvailableNodes: o.clientsPerRound,
    fractionEvaluate: 0,
    minEvaluateNodes: 0,
    seed: o.seed,
  };
  const make = spec.build ?? STRATEGIES[spec.name];
  if (!make) {
    throw new FlockError("FL_STRATEGY_UNKNOWN", `no strategy named ${spec.name}`, {
      hint: `choose one of ${Object.keys(STRATEGIES).join(", ")}`,
    });
  }
  let strategy = make({ ...common, ...spec.options } as FedAvgOptions);
  if (o.secureAggregation) {
    strategy = new SecAggPlus(strategy as LinearStrategy, {
      ...o.secureAggregation,
      graphSeed: mixSeed(o.seed, 52),
    });
  }
  return o.dp ? withDp(strategy, o.dp, o.clientsPerRound, o.seed) : strategy;
}

async function runStrategy(
  o: ResolvedOptions,
  spec: StrategySpec,
  ctx: Context,
  hooks: SimulationHooks,
): Promise<StrategyRun> {
  const label = labelOf(spec);
  const failures = new Map<number, { code: string; message: string }>();
  const strategy = toleratingFailedRounds(buildStrategy(o, spec), o.clientsPerRound, (round, error) =>
    failures.set(round, error),
  );
  const { data, evaluator, population } = ctx;
  const contributions = new Map<number, ContributionSummary>();
  const totals = new Map<NodeId, number>();
  let trained = 0;
  const trainedIn = new Map<number, number>();
  const onUpdates = o.contribution
    ? async ({ round, start, updates }: ReceivedUpdates) => {
        const c = o.contribution!;
        const values = await roundContribution({
          start,
          updates,
          evaluate: async (arrays) => (await evaluator.evaluate(arrays, data.test)).accuracy,
          method: c.method,
          gtg: { ...c.gtg, seed: (c.gtg?.seed ?? o.seed) + round },
        });
        addContributions(totals, values);
        const entries = values.players.map((nodeId, i) => ({
          nodeId,
          value: values.values[i]!,
          byzantine: population.isByzantine(Number(nodeId)),
        }));
        contributions.set(round, summarize(entries, c.top));
      }
    : undefined;
  const grid = new SimulationGrid({
    population,
    data,
    config: ctx.config,
    runner: ctx.runner,
    evaluator,
    training: o.training,
    seed: o.seed,
    wrapApp: (app) => {
      const node = dpNode(app, o.dp);
      return o.secureAggregation ? secAggPlusNode(node, { roundingSeed: mixSeed(o.seed, 53) }) : node;
    },
    onTrained: (round) => {
      trained++;
      const inRound = (trainedIn.get(round) ?? 0) + 1;
      trainedIn.set(round, inRound);
      hooks.onProgress?.({
        strategy: label,
        round,
        rounds: o.rounds,
        trained: inRound,
        sampled: o.clientsPerRound,
      });
    },
    ...(onUpdates ? { onUpdates } : {}),
  });
  const trainConfig: Config = {
    lr: o.training.lr,
    "local-epochs": o.training.epochs,
    "batch-size": o.training.batchSize,
    ...(o.training.momentum === undefined ? {} : { momentum: o.training.momentum }),
    ...(o.training.proximalMu === undefined ? {} : { "proximal-mu": o.training.proximalMu }),
  };
  const started = performance.now();
  const rounds: SimulationRound[] = [];
  const result = await runFederation({
    strategy,
    grid,
    initialArrays: ctx.start,
    rounds: o.rounds,
    trainConfig,
    evaluate: async (_round, arrays) => {
      const q = await evaluator.evaluate(arrays, data.test);
      return { accuracy: q.accuracy, loss: q.loss };
    },
    onRound: (record) => {
      const tally = grid.tallies.get(record.round);
      const epsilon = record.trainMetrics?.epsilon;
      const trainLoss = record.trainMetrics?.loss;
      const contribution = contributions.get(record.round);
      const failed = failures.get(record.round);
      const round: SimulationRound = {
        round: record.round,
        accuracy: record.centralMetrics!.accuracy!,
        loss: record.centralMetrics!.loss!,
        ...(trainLoss === undefined ? {} : { trainLoss }),
        ...(epsilon === undefined ? {} : { epsilon }),
        sampled: record.sent,
        updates: tally?.updates ?? record.replied - record.failed,
        byzantine: tally?.byzantine ?? grid.byzantineTrained.get(record.round) ?? 0,
        dropouts: tally?.dropouts ?? record.failed,
        stragglers: tally?.stragglers ?? grid.stragglersIn.get(record.round) ?? 0,
        ...(contribution ? { contribution } : {}),
        ...(failed ? { failed } : {}),
        durationMs: record.durationMs,
      };
      rounds.push(round);
      hooks.onRound?.(label, round);
    },
  });
  const durationMs = performance.now() - started;
  const initial = { accuracy: result.initialMetrics!.accuracy!, loss: result.initialMetrics!.loss! };
  const last = rounds[rounds.length - 1]!;
  let best = { accuracy: initial.accuracy, round: 0 };
  for (const r of rounds) if (r.accuracy > best.accuracy) best = { accuracy: r.accuracy, round: r.round };
  const reached = rounds.find((r) => r.accuracy >= o.targetAccuracy);
  const totalEntries = [...totals].map(([nodeId, value]) => ({
    nodeId,
    value,
    byzantine: population.isByzantine(Number(nodeId)),
  }));
  return {
    strategy: label,
    initial,
    rounds,
    final: { accuracy: last.accuracy, loss: last.loss },
    best,
    reachedTarget: reached ? reached.round : null,
    ...(o.contribution ? { contribution: summarize(totalEntries, o.contribution.top) } : {}),
    clientsTrained: trained,
    durationMs,
    clientsPerSecond: trained / (durationMs / 1000),
  };
}

/**
 * A strategy whose own exchange (secure aggregation) may fail a round with a ProtocolError (too many
 * dropouts, a bad dealer): the round is recorded as failed and keeps the previous model, as a deployment
 * would, instead of ending the simulation. Other errors still throw.
 */
function toleratingFailedRounds(
  strategy: Strategy,
  sampled: number,
  onFailure: (round: number, error: { code: string; message: string }) => void,
): Strategy {
  const trainRound = strategy.trainRound?.bind(strategy);
  if (!trainRound) return strategy;
  const guarded: NonNullable<Strategy["trainRound"]> = async (round, arrays, config, grid, options) => {
    try {
      return await trainRound(round, arrays, config, grid, options);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      onFailure(round, { code: error.code, message: error.message });
      return { sent: sampled, replied: 0, failed: 0 };
    }
  };
  (strategy as { trainRound?: Strategy["trainRound"] }).trainRound = guarded;
  return strategy;
}

/** The `k` highest and lowest values (ties by node id, so the summary is deterministic). */
function summarize(entries: readonly ContributionEntry[], k: number): ContributionSummary {
  const sorted = [...entries].sort((a, b) => b.value - a.value || a.nodeId.localeCompare(b.nodeId));
  return { top: sorted.slice(0, k), bottom: sorted.slice(-k).reverse() };
}

/** The same model trained on all training rows at once, for the same local settings, `epochs` passes. */
async function trainCentrally(
  o: ResolvedOptions,
  runner: ClientRunner,
  evaluator: Evaluator,
  start: Arrays,
): Promise<{ epochs: number; accuracy: number; loss: number }> {
  const data = loadDataset(o.dataset);
  const config = modelConfig(data, o.hidden);
  const epochs = o.centralized!.epochs;
  const outcome = await runner.train({
    dataset: o.dataset,
    hidden: o.hidden,
    training: { ...o.training, epochs, proximalMu: 0 },
    global: flattenModel(config, start),
    rows: Int32Array.from({ length: data.train.rows }, (_, i) => i),
    seed: o.seed,
    flipLabels: false,
  });
  const q = await evaluator.evaluate(unflattenModel(config, outcome.params), data.test);
  return { epochs, accuracy: q.accuracy, loss: q.loss };
}
