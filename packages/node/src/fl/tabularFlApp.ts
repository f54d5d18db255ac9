import { ValidationError } from "@flock/core";
import {
  createRng,
  evaluateClassifier,
  evaluateRegressor,
  mixSeed,
  parseTabularCsv,
  sgd,
  type TabularBatch,
  type TabularModelSpec,
  type TabularRows,
  Trainer,
  tabularMlpShapes,
  tabularTask,
} from "@flock/engine";
import type { Arrays, Config, Evaluation, Message, NodeApp } from "@flock/fl";

/** Local training settings read from a training message's config (the task's trainConfig). */
export interface LocalTrainingConfig {
  learningRate: number;
  localEpochs: number;
  batchSize: number;
  /** FedProx's μ: 0 is plain local training. */
  proximalMu: number;
}

/** Used when a task's trainConfig leaves a setting out. */
export const DEFAULT_LOCAL_TRAINING: LocalTrainingConfig = {
  learningRate: 0.1,
  localEpochs: 1,
  batchSize: 32,
  proximalMu: 0,
};

/** Each setting under its trainConfig name and the Flower-style key the simulator and FedProx send. */
const CONFIG_KEYS: Record<keyof LocalTrainingConfig, readonly string[]> = {
  learningRate: ["learningRate", "lr"],
  localEpochs: ["localEpochs", "local-epochs"],
  batchSize: ["batchSize", "batch-size"],
  proximalMu: ["proximalMu", "proximal-mu"],
};

/** The local training settings a message asks for, checked (defaults for what it leaves out). */
export function localTrainingOf(config: Config): LocalTrainingConfig {
  const out = { ...DEFAULT_LOCAL_TRAINING };
  for (const [setting, keys] of Object.entries(CONFIG_KEYS) as [keyof LocalTrainingConfig, string[]][]) {
    const key = keys.find((k) => config[k] !== undefined);
    if (key === undefined) continue;
    const value = config[key];
    const whole = setting === "localEpochs" || setting === "batchSize";
    const ok =
      typeof value === "number" &&
      Number.isFinite(value) &&
      (whole ? Number.isSafeInteger(value) && value >= 1 && value <= 100_000 : value >= 0) &&
      (setting !== "learningRate" || value > 0);
    if (!ok) {
      throw new ValidationError("FL_TRAIN_CONFIG_INVALID", `the task's ${key} is ${JSON.stringify(value)}`, {
        hint: whole
          ? `${key} must be a whole number ≥ 1`
          : `${key} must be a number ${setting === "learningRate" ? "> 0" : "≥ 0"}`,
      });
    }
    out[setting] = value as number;
  }
  return out;
}

export interface TabularFlAppOptions {
  /** The participant's private training rows (CSV text with a header; the spec's feature and label columns). */
  trainCsv: string;
  /** Its private test rows: what it evaluates global models and candidates on (and votes with). */
  testCsv: string;
  /** The task's model: MLP config, feature columns and label (a tabular base model file's spec). */
  spec: TabularModelSpec;
  /** Seed of the minibatch order (mixed with the round and epoch): same seed and data, same update. */
  seed?: number;
}

/** A NodeApp that also tells how many private rows it holds. */
export interface TabularFlApp extends NodeApp {
  readonly trainRows: number;
  readonly testRows: number;
  /** Release the compiled trainers. */
  release(): Promise<void>;
}

/** Rows of a CSV for a spec (its features in order, its label, its classes), with a message naming the file. */
export function readTabularRows(csv: string, spec: TabularModelSpec, which: string): TabularRows {
  try {
    return parseTabularCsv(csv, {
      kind: spec.config.kind,
      label: spec.label,
      features: spec.features,
      ...(spec.config.kind === "classifier" ? { numClasses: spec.config.numClasses ?? 2 } : {}),
    });
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new ValidationError(error.code, `${which}: ${error.message}`, {
        ...(error.hint === undefined ? {} : { hint: error.hint }),
        ...(error.details === undefined ? {} : { details: error.details }),
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The participant side of a classifier or regressor task over local CSV files: `train` runs local SGD
 * epochs from the received arrays (seeded minibatch order, learning rate, batch size and FedProx's μ from the
 * message's config); `evaluate` scores the received arrays on the local test rows — classifier: loss =
 * log-loss (nats) and accuracy; regressor: loss = MSE and rmse. The data never leaves the app.
 */
export function tabularFlApp(options: TabularFlAppOptions): TabularFlApp {
  const { spec } = options;
  const train = readTabularRows(options.trainCsv, spec, "the training CSV");
  const test = readTabularRows(options.testCsv, spec, "the test CSV");
  const shapes = tabularMlpShapes(spec.config);
  const seed = options.seed ?? 0;
  const trainers = new Map<string, Promise<Trainer<TabularBatch>>>();

  function checkArrays(arrays: Arrays | undefined, what: string): Arrays {
    if (arrays === undefined) {
      throw new ValidationError("FL_ARRAYS_MISSING", `a ${what} message without arrays`, {
        hint: "the coordinator sends the model to train from or evaluate with every such message",
      });
    }
    for (const [name, shape] of shapes) {
      const p = arrays.get(name);
      if (p === undefined || p.shape.join(",") !== shape.join(",")) {
        throw new ValidationError(
          "FL_ARRAYS_MISMATCH",
          `the received model lacks ${name} of shape [${shape.join(", ")}]`,
          {
            hint: "the task's model and this participant's spec differ; join with the task's own base model",
          },
        );
      }
    }
    return arrays;
  }

  function trainerFor(training: LocalTrainingConfig, arrays: Arrays): Promise<Trainer<TabularBatch>> {
    const proximal = training.proximalMu > 0;
    const key = `${training.batchSize}:${proximal}`;
    let trainer = trainers.get(key);
    if (trainer === undefined) {
      const initial = new Map([...shapes.keys()].map((name) => [name, arrays.get(name)!]));
      trainer = Trainer.create(tabularTask(spec.config, initial, training.batchSize), {
        optimizer: sgd(),
        schedule: { peak: training.learningRate },
        ...(proximal ? { proximal: { mu: training.proximalMu } } : {}),
      });
      trainers.set(key, trainer);
    }
    return trainer;
  }

  return {
    trainRows: train.rows,
    testRows: test.rows,

    async train(message: Message) {
      const arrays = checkArrays(message.arrays, "training");
      const training = localTrainingOf(message.config);
      const trainer = await trainerFor(training, arrays);
      // reset also moves the proximal anchor to the received model.
      trainer.reset(arrays);
      trainer.options.schedule.peak = training.learningRate;
      if (trainer.proximalMu !== undefined) trainer.setProximalMu(training.proximalMu);
      const f = train.numFeatures;
      const b = training.batchSize;
      const m = train.rows;
      const x = new Float32Array(b * f);
      const y = spec.config.kind === "classifier" ? new Int32Array(b) : new Float32Array(b);
      const order = new Int32Array(m);
      let lossSum = 0;
      let steps = 0;
      let firstEpochLoss = 0;
      for (let epoch = 0; epoch < training.localEpochs; epoch++) {
        // A seeded shuffle per round and epoch; the last batch wraps to the epoch's first rows so every row
        // is used and a participant with fewer rows than a batch still takes full steps.
        for (let i = 0; i < m; i++) order[i] = i;
        const rng = createRng(mixSeed(seed, message.round, epoch));
        for (let i = m - 1; i > 0; i--) {
          const j = rng.nextInt(i + 1);
          const t = order[i]!;
          order[i] = order[j]!;
          order[j] = t;
        }
        let epochLoss = 0;
        let epochSteps = 0;
        for (let start = 0; start < m; start += b) {
          for (let j = 0; j < b; j++) {
            const r = order[(start + j) % m]!;
            x.set(train.x.subarray(r * f, (r + 1) * f), j * f);
            y[j] = train.y[r]!;
          }
          const step = await trainer.trainStep([{ x, y }]);
          epochLoss += step.loss;
          epochSteps++;
        }
        if (epoch === 0) firstEpochLoss = epochLoss / epochSteps;
        lossSum += epochLoss;
        steps += epochSteps;
      }
      const params = trainer.parameters();
      // The update keeps the order of the arrays it was sent (what the coordinator aggregates by).
      const updated = new Map(
        [...arrays.keys()].map((name) => [name, params.get(name) ?? arrays.get(name)!]),
      );
      return {
        arrays: updated,
        numExamples: m,
        metrics: { "train-loss": lossSum / steps, "train-loss-first-epoch": firstEpochLoss, steps },
      };
    },

    async evaluate(message: Message): Promise<Evaluation> {
      const arrays = checkArrays(message.arrays, "evaluation");
      const params = new Map([...shapes.keys()].map((name) => [name, arrays.get(name)!]));
      if (spec.config.kind === "classifier") {
        const { accuracy, logLoss } = await evaluateClassifier(spec.config, params, {
          rows: test.rows,
          x: test.x,
          y: test.y as Int32Array,
        });
        return { numExamples: test.rows, metrics: { loss: logLoss, accuracy } };
      }
      const { rmse } = await evaluateRegressor(spec.config, params, {
        rows: test.rows,
        x: test.x,
        y: test.y as Float32Array,
      });
      return { numExamples: test.rows, metrics: { loss: rmse * rmse, rmse } };
    },

    async release() {
      for (const trainer of trainers.values()) await (await trainer).release();
      trainers.clear();
    },
  };
}
