import type { Batch } from "../data/batch.ts";
import { createRng, mixSeed } from "../data/random.ts";
import type { Tensor } from "../graph/graph.ts";
import { loraBinder, loraTargets } from "../lora/loraAdapter.ts";
import type { LoraConfig } from "../lora/loraConfig.ts";
import { llamaForward, llamaParameterShapes } from "../nn/llama.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import type { HostArray } from "../runtime/ortTypes.ts";
import type { DataInput, TrainingTask } from "./trainingTask.ts";

export interface LanguageModelTaskOptions {
  batchSize: number;
  seqLen: number;
  /** Train a LoRA adapter (these weights) on frozen base weights instead of all weights. */
  lora?: { config: LoraConfig; adapter: ParameterSet; seed?: number };
}

/** Per-token NLL rows [B·T] and the loss Σ w·nll / max(Σ w, 1) of a decoder on a batch. */
export function tokenLoss(logits: Tensor, targets: Tensor, weights: Tensor): { nll: Tensor; loss: Tensor } {
  const nll = logits.crossEntropy(targets.reshape([-1]));
  const w = weights.reshape([-1]);
  return { nll, loss: nll.mul(w).sum().div(w.sum().maximum(1)) };
}

/** Data inputs of a language-model step. */
export function languageModelInputs(batchSize: number, seqLen: number): DataInput[] {
  const shape = [batchSize, seqLen];
  return [
    { name: "inputIds", dtype: "int32", shape },
    { name: "targets", dtype: "int32", shape },
    { name: "weights", dtype: "float32", shape },
    { name: "attentionMask", dtype: "float32", shape },
  ];
}

/** Copy a batch into the step's data buffers. */
export function fillLanguageModelBatch(batch: Batch, buffers: Readonly<Record<string, HostArray>>): void {
  (buffers.inputIds as Int32Array).set(batch.inputIds);
  (buffers.targets as Int32Array).set(batch.targets);
  (buffers.weights as Float32Array).set(batch.weights);
  (buffers.attentionMask as Float32Array).set(batch.attentionMask);
}

/**
 * Causal language modelling on a Llama decoder: full fine-tuning (every weight trainable) or LoRA (only
 * the adapter trainable; the base frozen). LoRA dropout masks are inputs drawn from a stream seeded by (seed, micro-step), so resuming reproduces them.
 */
export function languageModelTask(
  config: LlamaConfig,
  base: ParameterSet,
  options: LanguageModelTaskOptions,
): TrainingTask<Batch> {
  const lora = options.lora;
  const rows = options.batchSize * options.seqLen;
  const dropoutModules = lora && lora.config.dropout > 0 ? loraTargets(config, lora.config) : [];
  const shapes = llamaParameterShapes(config);
  const dropoutInputs: DataInput[] = dropoutModules.map((m) => ({
    name: `dropout/${m}`,
    dtype: "float32",
    shape: [rows, shapes.get(`${m}.weight`)![1]!],
  }));
  return {
    name: lora ? "lora" : "full",
    trainable: lora ? lora.adapter : base,
    frozen: lora ? base : new Map(),
    dataInputs: [...languageModelInputs(options.batchSize, options.seqLen), ...dropoutInputs],
    buildLoss(weights, data) {
      const masks = new Map(dropoutModules.map((m) => [m, data[`dropout/${m}`]!]));
      const decoder = {
        get: (name: string) => weights.get(name)!,
        lora: lora ? loraBinder(lora.config, weights, masks) : () => undefined,
      };
      const logits = llamaForward(config, decoder, data.inputIds!, data.attentionMask!);
      return { loss: tokenLoss(logits, data.targets!, data.weights!).loss };
    },
    fill(batch, buffers, microStep) {
      fillLanguageModelBatch(batch, buffers);
      if (!lora || dropoutModules.length === 0) return;
      // A fresh stream per micro-step: the masks depend only on (seed, step), so a resumed run draws the same.
      const maskRng = createRng(mixSeed(lora.seed ?? 0, 0x10a, microStep));
      // Inverted dropout (Srivastava et al. 2014) on the adapter input: keep with 1 − p, scale by 1/(1 − p).
      const p = lora.config.dropout;
      for (const m of dropoutModules) {
        const mask = buffers[`dropout/${m}`] as Float32Array;
        for (let i = 0; i < mask.length; i++) mask[i] = maskRng.next() < p ? 0 : 1 / (1 - p);
      }
    },
  };
}
