import { existsSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "@flock/core";
import {
  adamw,
  ByteTokenizer,
  createRng,
  initLoraParameters,
  languageModelTask,
  loadCheckpoint,
  loraConfig,
  makeBatches,
  parseShareGpt,
  renderChat,
  runTraining,
  Trainer,
} from "@flock/engine";
import { encodeAdapterArtifact } from "../artifacts/adapterArtifact.ts";
import { decodeBaseModel } from "../artifacts/baseModelArtifact.ts";
import { trainTabularModel } from "./tabularTraining.ts";
import type { TrainingBackend } from "./trainingBackend.ts";

export interface EngineTrainingOptions {
  /** ONNX Runtime threads (default 1: leaves cores to other nodes on one machine). */
  threads?: number;
  /** Write a checkpoint every this many steps (default 10). */
  checkpointEvery?: number;
}

/**
 * LoRA fine-tuning with `@flock/engine` on the byte tokenizer and chat template: the adapter starts at
 * B = 0 (the base model unchanged), AdamW with warmup and cosine decay, checkpoints in the job's folder.
 * Classifier and regressor tasks train their MLP with `trainTabularModel`.
 */
export function engineTrainingBackend(options: EngineTrainingOptions = {}): TrainingBackend {
  return {
    trainTabular: (job, onProgress) => trainTabularModel(job, options, onProgress),
    async train(job, onProgress) {
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
      const lora = loraConfig({ r: recipe.rank, alpha: recipe.alpha, targetModules: recipe.targetModules });
      const adapter = initLoraParameters(base.config, lora, createRng(recipe.seed));
      const task = languageModelTask(base.config, base.params, {
        batchSize: recipe.batchSize,
        seqLen,
        lora: { config: lora, adapter, seed: recipe.seed },
      });
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
        return encodeAdapterArtifact({ lora, adapter: trainer.parameters(), baseModel: job.baseModelId });
      } finally {
        await trainer.release();
      }
    },
  };
}
