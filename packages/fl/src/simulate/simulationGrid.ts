import { FlockError } from "@flock/core";
import { mixSeed, type TabularMlpConfig } from "@flock/engine";
import type { Arrays } from "../arrays.ts";
import type { Grid, SendOptions } from "../grid.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { Config, Evaluation, Message, NodeId, Reply, Update } from "../messages.ts";
import { applyAttack, attackOne, isColluding } from "./attacks.ts";
import type { LocalTraining } from "./clientTraining.ts";
import type { ClassificationData } from "./datasets.ts";
import type { Evaluator } from "./evaluator.ts";
import { flattenModel, unflattenModel } from "./model.ts";
import type { Population } from "./population.ts";
import type { ClientRunner } from "./workerPool.ts";

/** What happened to the training messages of one round, as the simulation saw it. */
export interface RoundTally {
  readonly sent: number;
  /** Clients that dropped out (error replies). */
  readonly dropouts: number;
  /** Clients whose simulated answer came after the round deadline (no reply). */
  readonly stragglers: number;
  /** Updates that reached the server, and how many of them were Byzantine. */
  readonly updates: number;
  readonly byzantine: number;
}

/** A round's updates as the server receives them (after attacks), with who sent them. */
export interface ReceivedUpdates {
  readonly round: number;
  readonly start: Arrays;
  readonly updates: readonly {
    readonly nodeId: NodeId;
    readonly update: Update;
    readonly byzantine: boolean;
  }[];
}

export interface SimulationGridOptions {
  readonly population: Population;
  readonly data: ClassificationData;
  readonly config: TabularMlpConfig;
  readonly runner: ClientRunner;
  readonly evaluator: Evaluator;
  /** Local training when a message's config does not say (`lr`, `local-epochs`, `batch-size`, …). */
  readonly training: LocalTraining;
  readonly seed: number;
  /** Wraps the simulated node side (e.g. client-side DP clipping). */
  readonly wrapApp?: (app: NodeApp) => NodeApp;
  /** Called as each client finishes training (progress). */
  readonly onTrained?: (round: number, nodeId: NodeId) => void;
  /** Called with each round's received updates before the strategy sees them (contribution value). */
  readonly onUpdates?: (received: ReceivedUpdates) => Promise<void> | void;
}

/**
 * The simulator's transport: an `InMemoryGrid` over a lazily derived `Population`, with the simulated
 * failures in front of it and the attacks behind it. A sampled client that drops out answers with an
 * FL_CLIENT_DROPPED error; one whose simulated latency passes the round deadline never answers (decided in
 * simulated time, so real training speed never changes a result). A Byzantine client rewrites its own
 * model (`attackOne`) or poisons its labels; colluding attackers' replies (`alie`) are replaced once the
 * round's updates are in (`applyAttack`). Clients train on the `ClientRunner` (worker threads).
 */
export class SimulationGrid implements Grid {
  private readonly inner: InMemoryGrid;
  private readonly options: SimulationGridOptions;
  private readonly flat = new WeakMap<Arrays, Float32Array>();
  /** Tallies of the training rounds, by round. */
  readonly tallies = new Map<number, RoundTally>();
  /** Byzantine clients that trained, by round (what is known when a protocol hides the updates). */
  readonly byzantineTrained = new Map<number, number>();
  /** Clients that missed the deadline, by round (also in protocol stages). */
  readonly stragglersIn = new Map<number, number>();

  constructor(options: SimulationGridOptions) {
    this.options = options;
    this.inner = new InMemoryGrid({
      nodes: options.population.size,
      concurrency: Math.max(4, 4 * options.runner.threads),
      app: (options.wrapApp ?? ((app) => app))({
        train: (m) => this.train(m),
        evaluate: (m) => this.evaluate(m),
      }),
    });
  }

  nodeIds(): Promise<readonly NodeId[]> {
    return this.inner.nodeIds();
  }

  async sendAndReceive(messages: readonly Message[], options: SendOptions = {}): Promise<Reply[]> {
    const { population } = this.options;
    const deadline = population.deadlineMs;
    let stragglers = 0;
    const kept = messages.filter((m) => {
      // Training happens on a train message, or inside secure aggregation's masked-input stage.
      const trains = m.kind === "train" || (m.kind === "exchange" && m.body?.stage === "masked-input");
      if (!trains || deadline === undefined) return true;
      const client = Number(m.nodeId);
      if (population.dropsOut(client, m.round)) return true;
      const work = population.partition.rowsOf(client).length * this.trainingOf(m.config).epochs;
      const late = population.latencyMs(client, m.round, work) > deadline;
      if (late) stragglers++;
      return !late;
    });
    if (stragglers > 0) {
      const round = messages[0]!.round;
      this.stragglersIn.set(round, (this.stragglersIn.get(round) ?? 0) + stragglers);
    }
    const replies = await this.inner.sendAndReceive(kept);
    const trainReplies = replies.filter((r): r is Extract<Reply, { update: Update }> => "update" in r);
    const round = messages.find((m) => m.kind === "train")?.round;
    if (round !== undefined) {
      const start = messages.find((m) => m.kind === "train")!.arrays!;
      const attacked = this.attack(round, start, trainReplies);
      this.tallies.set(round, {
        sent: messages.filter((m) => m.kind === "train").length,
        dropouts: replies.filter((r) => "error" in r && r.error.code === "FL_CLIENT_DROPPED").length,
        stragglers,
        updates: trainReplies.length,
        byzantine: trainReplies.filter((r) => population.isByzantine(Number(r.nodeId))).length,
      });
      replies.forEach((r, i) => {
        const replaced = attacked.get(r);
        if (replaced) replies[i] = replaced;
      });
      await this.options.onUpdates?.({
        round,
        start,
        updates: replies
          .filter((r): r is Extract<Reply, { update: Update }> => "update" in r)
          .map((r) => ({
            nodeId: r.nodeId,
            update: r.update,
            byzantine: population.isByzantine(Number(r.nodeId)),
          })),
      });
    }
    for (const r of replies) options.onReply?.(r);
    return replies;
  }

  /** Byzantine replies rewritten by the configured attack (a map from the original reply to its replacement). */
  private attack(
    round: number,
    start: Arrays,
    replies: readonly Extract<Reply, { update: Update }>[],
  ): Map<Reply, Reply> {
    const { population, config } = this.options;
    const out = new Map<Reply, Reply>();
    const byzantine = population.byzantine;
    if (!byzantine || !isColluding(byzantine.attack)) return out;
    const updates = replies.map((r) => ({
      client: Number(r.nodeId),
      params: flattenModel(config, r.update.arrays),
      byzantine: population.isByzantine(Number(r.nodeId)),
    }));
    const attacked = applyAttack(byzantine, this.flatOf(start), updates, this.options.seed, round);
    replies.forEach((r, i) => {
      if (!updates[i]!.byzantine) return;
      out.set(r, { ...r, update: { ...r.update, arrays: unflattenModel(config, attacked[i]!) } });
    });
    return out;
  }

  private flatOf(arrays: Arrays): Float32Array {
    let flat = this.flat.get(arrays);
    if (!flat) {
      flat = flattenModel(this.options.config, arrays);
      this.flat.set(arrays, flat);
    }
    return flat;
  }

  /** A message's local-training settings over the simulation's defaults. */
  trainingOf(config: Config): LocalTraining {
    const d = this.options.training;
    const num = (key: string, fallback: number | undefined): number | undefined =>
      typeof config[key] === "number" ? (config[key] as number) : fallback;
    const momentum = num("momentum", d.momentum);
    const proximalMu = num("proximal-mu", d.proximalMu);
    return {
      epochs: num("local-epochs", d.epochs)!,
      batchSize: num("batch-size", d.batchSize)!,
      lr: num("lr", d.lr)!,
      ...(momentum === undefined ? {} : { momentum }),
      ...(proximalMu === undefined ? {} : { proximalMu }),
    };
  }

  private async train(message: Message): Promise<Update> {
    const { population, data, runner, seed } = this.options;
    const client = Number(message.nodeId);
    if (population.dropsOut(client, message.round)) {
      throw new FlockError("FL_CLIENT_DROPPED", `client ${client} dropped out of round ${message.round}`);
    }
    const global = this.flatOf(message.arrays!);
    const byzantine =
      population.byzantine && population.isByzantine(client) ? population.byzantine : undefined;
    const outcome = await runner.train({
      dataset: data.name,
      hidden: this.options.config.hidden,
      training: this.trainingOf(message.config),
      global,
      rows: population.partition.rowsOf(client),
      seed: mixSeed(seed, 31, message.round, client),
      flipLabels: byzantine?.attack === "label-flip",
    });
    this.options.onTrained?.(message.round, message.nodeId);
    if (byzantine)
      this.byzantineTrained.set(message.round, (this.byzantineTrained.get(message.round) ?? 0) + 1);
    // A non-colluding attacker rewrites its own model before it leaves the node.
    const params = byzantine
      ? attackOne(byzantine, global, outcome.params, seed, message.round, client)
      : outcome.params;
    return {
      arrays: unflattenModel(this.options.config, params),
      numExamples: outcome.numExamples,
      metrics: { loss: outcome.loss },
    };
  }

  private async evaluate(message: Message): Promise<Evaluation> {
    const { population, data, evaluator } = this.options;
    const rows = population.partition.rowsOf(Number(message.nodeId));
    const q = await evaluator.evaluate(message.arrays!, data.train, rows);
    return { numExamples: rows.length, metrics: { accuracy: q.accuracy, loss: q.loss } };
  }
}
