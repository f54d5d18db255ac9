import { ValidationError } from "@flock/core";
import {
  createRng,
  mixSeed,
  sgd,
  type TabularBatch,
  type TabularMlpConfig,
  Trainer,
  tabularTask,
} from "@flock/engine";
import { type DatasetName, loadDataset } from "./datasets.ts";
import { initialArrays, unflattenModel } from "./model.ts";

/** Local training settings of a client (from the round's config: `lr`, `local-epochs`, `batch-size`, …). */
export interface LocalTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  /** SGD momentum (default 0). */
  readonly momentum?: number;
  /** FedProx's μ (the `proximal-mu` config key); 0 or absent: plain local training. */
  readonly proximalMu?: number;
}

/** One client's training job: everything a worker needs, as plain data (sent to a worker thread). */
export interface TrainJob {
  readonly dataset: DatasetName;
  readonly hidden: readonly number[];
  readonly training: LocalTraining;
  /** The global model, flat in `modelShapes` order. */
  readonly global: Float32Array;
  /** The client's training rows. */
  readonly rows: Int32Array;
  /** Seed of the client's minibatch order this round. */
  readonly seed: number;
  /** Train on flipped labels c → K−1−c (a label-flipping Byzantine client: poisoned local data). */
  readonly flipLabels: boolean;
}

/** A trained client: its new model (flat), examples, mean training loss and steps taken. */
export interface TrainOutcome {
  readonly params: Float32Array;
  readonly numExamples: number;
  readonly loss: number;
  readonly steps: number;
}

/**
 * Trains clients one after another with one compiled `Trainer` per model shape and optimizer (built once,
 * `reset` to the global model per client): what each worker thread runs, and the main thread when the
 * simulation runs without workers.
 */
export class ClientTrainer {
  private readonly trainers = new Map<string, Promise<Trainer<TabularBatch>>>();

  /** Local training of one client: `epochs` passes over its rows in seeded minibatch order (constant lr). */
  async train(job: TrainJob): Promise<TrainOutcome> {
    const { training } = job;
    checkTraining(training);
    const data = loadDataset(job.dataset);
    const config: TabularMlpConfig = {
      kind: "classifier",
      numFeatures: data.numFeatures,
      numClasses: data.numClasses,
      hidden: [...job.hidden],
    };
    const trainer = await this.trainerFor(config, job);
    trainer.reset(unflattenModel(config, job.global));
    const mu = training.proximalMu ?? 0;
    if (mu > 0 || trainer.proximalMu !== undefined) trainer.setProximalMu(mu);
    const m = job.rows.length;
    if (m === 0) {
      throw new ValidationError("FL_CLIENT_EMPTY", "a client with no training rows", {
        hint: "give every client at least one example",
      });
    }
    const { batchSize: b } = training;
    const f = data.numFeatures;
    const k = data.numClasses;
    const x = new Float32Array(b * f);
    const y = new Int32Array(b);
    const batch = { x, y };
    const order = new Int32Array(m);
    let lossSum = 0;
    let steps = 0;
    for (let epoch = 0; epoch < training.epochs; epoch++) {
      // A seeded shuffle per epoch; the last batch wraps around to the epoch's first rows, so no row is
      // dropped and clients smaller than a batch still take full steps.
      order.set(job.rows);
      const rng = createRng(mixSeed(job.seed, epoch));
      for (let i = m - 1; i > 0; i--) {
        const j = rng.nextInt(i + 1);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      for (let start = 0; start < m; start += b) {
        for (let j = 0; j < b; j++) {
          const r = order[(start + j) % m]!;
          x.set(data.train.x.subarray(r * f, (r + 1) * f), j * f);
          const label = data.train.y[r]!;
          y[j] = job.flipLabels ? k - 1 - label : label;
        }
        const step = await trainer.trainStep([batch]);
        lossSum += step.loss;
        steps++;
      }
    }
    const params = new Float32Array(job.global.length);
    let offset = 0;
    for (const p of trainer.parameters().values()) {
      params.set(p.data, offset);
      offset += p.data.length;
    }
    return { params, numExamples: m, loss: lossSum / steps, steps };
  }

  private trainerFor(config: TabularMlpConfig, job: TrainJob): Promise<Trainer<TabularBatch>> {
    const { training } = job;
    const proximal = (training.proximalMu ?? 0) > 0;
    const key = JSON.stringify([
      job.dataset,
      job.hidden,
      training.batchSize,
      training.momentum ?? 0,
      proximal,
    ]);
    let trainer = this.trainers.get(key);
    if (!trainer) {
      trainer = Trainer.create(tabularTask(config, new Map(initialArrays(config, 0)), training.batchSize), {
        optimizer: sgd({ momentum: training.momentum ?? 0 }),
        schedule: { peak: training.lr },
        ...(proximal ? { proximal: { mu: training.proximalMu! } } : {}),
      });
      this.trainers.set(key, trainer);
    }
    // The learning rate is read from the schedule at every step: one compiled trainer serves any lr (a
    // server may change it per round), with no recompilation.
    return trainer.then((t) => {
      t.options.schedule.peak = training.lr;
      return t;
    });
  }

  /** Releases every compiled trainer. */
  async release(): Promise<void> {
    for (const trainer of this.trainers.values()) await (await trainer).release();
    this.trainers.clear();
  }
}

function checkTraining(t: LocalTraining): void {
  const bad = (what: string, value: unknown, hint: string) =>
    new ValidationError("FL_OPTION_INVALID", `${what} is ${String(value)}`, { hint });
  if (!Number.isSafeInteger(t.epochs) || t.epochs < 1)
    throw bad("local-epochs", t.epochs, "use a whole number ≥ 1");
  if (!Number.isSafeInteger(t.batchSize) || t.batchSize < 1)
    throw bad("batch-size", t.batchSize, "use a whole number ≥ 1");
  if (!(t.lr > 0 && Number.isFinite(t.lr))) throw bad("lr", t.lr, "use a learning rate > 0, e.g. 0.1");
  if (t.proximalMu !== undefined && !(t.proximalMu >= 0)) throw bad("proximal-mu", t.proximalMu, "use μ ≥ 0");
}
