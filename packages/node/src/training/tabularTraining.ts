import { existsSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "@flock/core";
import {
  adamw,
  epochPermutation,
  loadCheckpoint,
  parseTabularCsv,
  readTabularModel,
  runTraining,
  type TabularRows,
  Trainer,
  tabularBatches,
  tabularTask,
  writeTabularModel,
} from "@flock/engine";
import type { TabularTrainingJob, TrainingProgressEvent } from "./trainingBackend.ts";

/** The rows in a seeded order (so a batch mixes the file's rows), then cut into full batches. */
function shuffledRows(data: TabularRows, seed: number): TabularRows {
  const order = epochPermutation(data.rows, seed, 0);
  const f = data.numFeatures;
  const x = new Float32Array(data.x.length);
  const y = data.y instanceof Int32Array ? new Int32Array(data.rows) : new Float32Array(data.rows);
  order.forEach((from, to) => {
    x.set(data.x.subarray(from * f, (from + 1) * f), to * f);
    y[to] = data.y[from]!;
  });
  return { ...data, x, y };
}

/**
 * Train a classifier or regressor task's MLP from its base model on the training CSV with `@flock/engine`:
 * every weight trains (the task's `tabularTask`), AdamW with warmup and cosine decay over `epochs` passes of
 * seeded batches, checkpoints in the job's folder (a rerun resumes). Returns a `flock-tabular-mlp/1` file with
 * the base model's config and columns, so only its weights differ.
 */
export async function trainTabularModel(
  job: TabularTrainingJob,
  options: { threads?: number; checkpointEvery?: number } = {},
  onProgress?: (event: TrainingProgressEvent) => void,
): Promise<Uint8Array> {
  const { recipe } = job;
  const base = readTabularModel(job.baseModel);
  const { config } = base.spec;
  if (config.kind !== job.taskType) {
    throw new ValidationError(
      "TABULAR_BASE_KIND_MISMATCH",
      `the base model is a ${config.kind}, the task is a ${job.taskType}`,
      { hint: "a tabular task's base model must be an MLP of the task's type" },
    );
  }
  const data = parseTabularCsv(job.trainingData, {
    kind: config.kind,
    label: base.spec.label,
    features: base.spec.features,
    ...(config.kind === "classifier" ? { numClasses: config.numClasses ?? 2 } : {}),
  });
  const batchSize = Math.min(recipe.batchSize, data.rows);
  const batches = tabularBatches(shuffledRows(data, recipe.seed), data.numFeatures, batchSize);
  const totalSteps = recipe.epochs * batches.length;
  const checkpointDir = join(job.workDir, "checkpoint");
  const resume = existsSync(join(checkpointDir, "checkpoint.safetensors"))
    ? await loadCheckpoint(checkpointDir)
    : undefined;
  const trainer = await Trainer.create(
    tabularTask(config, base.params, batchSize),
    {
      optimizer: adamw({ weightDecay: recipe.weightDecay }),
      schedule: {
        peak: recipe.learningRate,
        warmupSteps: Math.max(1, Math.ceil(totalSteps / 20)),
        totalSteps,
      },
      clipNorm: 1,
      threads: options.threads ?? 1,
    },
    resume?.trainer,
  );
  try {
    await runTraining({
      trainer,
      items: batches,
      totalSteps,
      seed: recipe.seed,
      ...(resume ? { position: resume.position } : {}),
      checkpoint: { dir: checkpointDir, every: options.checkpointEvery ?? 100 },
      onProgress: (p) => onProgress?.({ step: p.step, totalSteps: p.totalSteps, loss: p.loss }),
    });
    return writeTabularModel(base.spec, trainer.parameters());
  } finally {
    await trainer.release();
  }
}
