import type { Batch } from "./data/batch.ts";
import { makeBatches, textToExamples } from "./data/batching.ts";
import { createRng, mixSeed } from "./data/random.ts";
import { LanguageModelEvaluator, type LanguageModelMetrics } from "./eval/evaluateLanguageModel.ts";
import { initLlamaParameters } from "./nn/llama.ts";
import type { LlamaConfig } from "./nn/llamaConfig.ts";
import type { ParameterSet } from "./nn/parameters.ts";
import { adamw } from "./optim/adamw.ts";
import type { Tokenizer } from "./tokenizer/tokenizer.ts";
import { languageModelTask } from "./train/languageModelTask.ts";
import { runTraining, type TrainingProgress } from "./train/runTraining.ts";
import { Trainer } from "./train/trainer.ts";

export interface PretrainOptions {
  config: LlamaConfig;
  tokenizer: Tokenizer;
  /** Training text; the last `heldOutFraction` of it is held out for evaluation. */
  text: string;
  seqLen: number;
  batchSize: number;
  steps: number;
  lr?: number;
  seed?: number;
  threads?: number;
  heldOutFraction?: number;
  /** Start from these weights instead of a fresh initialization. */
  init?: ParameterSet;
  onProgress?: (progress: TrainingProgress) => void;
}

export interface PretrainResult {
  params: ParameterSet;
  losses: number[];
  heldOut: LanguageModelMetrics;
}

function textBatches(text: string, options: PretrainOptions): Batch[] {
  const examples = textToExamples(text, options.tokenizer, options.seqLen);
  return makeBatches(examples, {
    seqLen: options.seqLen,
    batchSize: options.batchSize,
    padId: options.tokenizer.specials.pad,
    pack: false,
    dropLast: true,
  });
}

/**
 * Pretrain a decoder from scratch on a text (next-token prediction over every byte), with AdamW, warmup and
 * cosine decay; report held-out BPC at the end.
 */
export async function pretrainLlama(options: PretrainOptions): Promise<PretrainResult> {
  const seed = options.seed ?? 0;
  const cut = Math.floor(options.text.length * (1 - (options.heldOutFraction ?? 0.05)));
  const train = textBatches(options.text.slice(0, cut), options);
  const heldOut = textBatches(options.text.slice(cut), options);
  const params = options.init ?? initLlamaParameters(options.config, createRng(mixSeed(seed, 1)));
  const task = languageModelTask(options.config, params, {
    batchSize: options.batchSize,
    seqLen: options.seqLen,
  });
  const trainer = await Trainer.create(task, {
    optimizer: adamw({ weightDecay: 0.1, beta2: 0.99 }),
    schedule: {
      peak: options.lr ?? 3e-3,
      warmupSteps: Math.ceil(options.steps / 20),
      totalSteps: options.steps,
    },
    clipNorm: 1,
    threads: options.threads ?? 1,
  });
  try {
    const run = await runTraining({
      trainer,
      items: train,
      totalSteps: options.steps,
      seed: mixSeed(seed, 2),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const trained = trainer.parameters();
    const evaluator = new LanguageModelEvaluator(options.config, trained, { threads: options.threads ?? 1 });
    const metrics = await evaluator.evaluate(heldOut);
    await evaluator.release();
    return { params: trained, losses: run.results.map((r) => r.loss), heldOut: metrics };
  } finally {
    await trainer.release();
  }
}
