import { existsSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "@flock/core";
import {
  adamw,
  type Batch,
  ByteTokenizer,
  createRng,
  initLoraParameters,
  languageModelTask,
  loadCheckpoint,
  loraConfig,
  makeBatches,
  type ParameterSet,
  parseShareGpt,
  renderChat,
  runTraining,
  Trainer,
  type TrainingTask,
} from "@flock/engine";
import { encodeAdapterArtifact } from "../artifacts/adapterArtifact.ts";
import { decodeBaseModel, encodeBaseModel } from "../artifacts/baseModelArtifact.ts";
import { trainTabularModel } from "./tabularTraining.ts";
import type { TrainingBackend, TrainingJob, TrainingProgressEvent } from "./trainingBackend.ts";

export interface EngineTrainingOptions {
  /** ONNX Runtime threads (default 1: leaves cores to other nodes on one machine). */
  threads?: number;
  /** Write a checkpoint every this many steps (default 10). */
  checkpointEvery?: number;
}

/** The ShareGPT training rows as full batches for a decoder, or a clear error when none can be made. */
function languageBatches(job: TrainingJob) {
  const { recipe } = job;
  const base = decodeBaseModel(job.baseModel);
  const seqLen = Math.min(recipe.seqLen, base.config.max_position_embeddings);
  const tokenizer = new ByteTokenizer();
  // A conversation whose assistant turns all fall past the context has nothing to learn from: leave it
  // out rather than spend steps on batches whose loss is zero.
  const examples = parseShareGpt(job.trainingData)
    .map((c) => renderChat(c, tokenizer, { maxTokens: seqLen + 1 }))
    .filter((example) => example.scoredCount > 0);
  if (examples.length === 0) {
    throw new ValidationError(
      "TRAINING_DATA_NOTHING_SCORED",
      `no training conversation has an assistant token within the first ${seqLen + 1} tokens`,
      { hint: "shorten the system and user turns, or use a base model with a longer context" },
    );
  }
  const batches = makeBatches(examples, {
    batchSize: recipe.batchSize,
    seqLen,
    padId: tokenizer.specials.pad,
    dropLast: true,
  });
  if (batches.length === 0) {
    throw new ValidationError("TRAINING_DATA_TOO_SMALL", "the training data does not fill one batch", {
      hint: `give at least ${recipe.batchSize} conversations or lower the recipe's batchSize`,
    });
  }
  return { base, seqLen, batches };
}

/**
 * Run a language task's training with the recipe's schedule (AdamW, warmup then cosine decay, clipping),
 * resuming from a checkpoint in the job's folder, and return what `finish` makes of the trained weights.
 */
async function trainLanguage(
  job: TrainingJob,
  task: TrainingTask<Batch>,
  batches: Batch[],
  options: EngineTrainingOptions,
  onProgress: ((event: TrainingProgressEvent) => void) | undefined,
  finish: (trained: ParameterSet) => Uint8Array,
): Promise<Uint8Array> {
  const { recipe } = job;
  const checkpointDir = join(job.workDir, "checkpoint");
  const resume = existsSync(join(checkpointDir, "checkpoint.safetensors"))
    ? await loadCheckpoint(checkpointDir)
    : undefined;
  const trainer = await Trainer.create(
    task,
    {
      optimizer: adamw(),
      schedule: {
        peak: recipe.learningRate,
        warmupSteps: Math.max(1, Math.ceil(recipe.steps / 10)),
        totalSteps: recipe.steps,
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
      totalSteps: recipe.steps,
      seed: recipe.seed,
      ...(resume ? { position: resume.position } : {}),
      checkpoint: { dir: checkpointDir, every: options.checkpointEvery ?? 10 },
      onProgress: (p) => onProgress?.({ step: p.step, totalSteps: p.totalSteps, loss: p.loss }),
    });
    return finish(trainer.parameters());
  } finally {
    await trainer.release();
  }
}

/**
 * LoRA fine-tuning with `@flock/engine` on the byte tokenizer and chat template: the adapter starts at
 * B = 0 (the base model unchanged), AdamW with warmup and cosine decay, checkpoints in the job's folder.
 * Full fine-tunes (`lm-full`) train every weight of the decoder with the same recipe (its LoRA settings
 * unused) and submit a `flock-llama/1` file; classifier and regressor tasks train their MLP with
 * `trainTabularModel`.
 */
export function engineTrainingBackend(options: EngineTrainingOptions = {}): TrainingBackend {
  return {
    trainTabular: (job, onProgress) => trainTabularModel(job, options, onProgress),
    async trainFull(job, onProgress) {
      const { base, seqLen, batches } = languageBatches(job);
      const task = languageModelTask(base.config, base.params, { batchSize: job.recipe.batchSize, seqLen });
      return trainLanguage(job, task, batches, options, onProgress, (params) =>
        encodeBaseModel({ config: base.config, params }),
      );
    },
    async train(job, onProgress) {
      const { recipe } = job;
      const { base, seqLen, batches } = languageBatches(job);
      const lora = loraConfig({ r: recipe.rank, alpha: recipe.alpha, targetModules: recipe.targetModules });
      const adapter = initLoraParameters(base.config, lora, createRng(recipe.seed));
      const task = languageModelTask(base.config, base.params, {
        batchSize: recipe.batchSize,
        seqLen,
        lora: { config: lora, adapter, seed: recipe.seed },
      });
      return trainLanguage(job, task, batches, options, onProgress, (params) =>
        encodeAdapterArtifact({ lora, adapter: params, baseModel: job.baseModelId }),
      );
    },
  };
}
