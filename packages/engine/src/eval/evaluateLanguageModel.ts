import { ValidationError } from "@flock/core";
import type { Batch } from "../data/batch.ts";
import { Graph } from "../graph/graph.ts";
import { loraBinder, mergeLora } from "../lora/loraAdapter.ts";
import type { LoraConfig } from "../lora/loraConfig.ts";
import { llamaForward } from "../nn/llama.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { allocate, type HostArray, type ort, ortTensor } from "../runtime/ortTypes.ts";
import { fillLanguageModelBatch, languageModelInputs } from "../train/languageModelTask.ts";

/** Token-weighted language-model metrics over scored tokens. */
export interface LanguageModelMetrics {
  /** Bits per UTF-8 byte: Σ NLL_nats / (ln 2 · Σ bytes) over scored tokens (SPEC §2.1). */
  bpc: number;
  /** Mean NLL in nats per scored token. */
  loss: number;
  /** Σ NLL in nats over scored tokens. */
  nllSum: number;
  tokens: number;
  bytes: number;
}

export interface EvaluateOptions {
  threads?: number;
  lora?: { config: LoraConfig; adapter: ParameterSet };
  /**
   * Evaluate an adapter by merging it into the base once (W + (α/r)·B·A, default) so the plain decoder graph
   * runs; false evaluates base and adapter side by side in the graph.
   */
  mergeAdapter?: boolean;
}

/**
 * The evaluation graph of a decoder. It outputs only per-token NLL ([B·T], float32): every value in it is
 * computed by kernels that never split a reduction across threads (MatMul partitions rows/columns, softmax and
 * normalization reduce within a row), so each token's NLL is bit-identical for any thread count. The
 * sums over tokens are taken here in float64 in a fixed order, which makes the whole metric reproducible.
 */
export function buildEvalGraph(
  config: LlamaConfig,
  base: ParameterSet,
  batchSize: number,
  seqLen: number,
  options: EvaluateOptions,
): Graph {
  const g = new Graph("eval");
  const weights = new Map([...base].map(([name, p]) => [name, g.input(name, "float32", p.shape)]));
  if (options.lora)
    for (const [name, p] of options.lora.adapter) weights.set(name, g.input(name, "float32", p.shape));
  const data = Object.fromEntries(
    languageModelInputs(batchSize, seqLen).map((d) => [d.name, g.input(d.name, d.dtype, d.shape)]),
  );
  const decoder = {
    get: (name: string) => weights.get(name)!,
    lora: options.lora ? loraBinder({ ...options.lora.config, dropout: 0 }, weights) : () => undefined,
  };
  const logits = llamaForward(config, decoder, data.inputIds!, data.attentionMask!);
  g.output("nll", logits.crossEntropy(data.targets!.reshape([-1])));
  return g;
}

/** A compiled evaluation graph with its feed and output buffers, allocated once per batch shape. */
interface EvalBucket {
  compiled: CompiledGraph;
  buffers: Record<string, HostArray>;
  feeds: Record<string, ort.Tensor>;
  nll: Float32Array;
  fetches: Record<string, ort.Tensor>;
}

/** Evaluates a decoder on batches; graphs and buffers are cached per batch shape. */
export class LanguageModelEvaluator {
  private readonly buckets = new Map<string, Promise<EvalBucket>>();
  private readonly config: LlamaConfig;
  private readonly base: ParameterSet;
  private readonly options: EvaluateOptions;

  constructor(config: LlamaConfig, base: ParameterSet, options: EvaluateOptions = {}) {
    this.config = config;
    const merge = options.lora !== undefined && options.mergeAdapter !== false;
    this.base = merge ? mergeLora(config, base, options.lora!.config, options.lora!.adapter) : base;
    this.options = merge ? { ...options, lora: undefined } : options;
  }

  private async bucket(batchSize: number, seqLen: number): Promise<EvalBucket> {
    const graph = buildEvalGraph(this.config, this.base, batchSize, seqLen, this.options);
    const compiled = await CompiledGraph.compile(graph, { threads: this.options.threads ?? 1 });
    const buffers: Record<string, HostArray> = {};
    const all: Record<string, ort.Tensor> = {};
    for (const d of languageModelInputs(batchSize, seqLen)) {
      buffers[d.name] = allocate(d.dtype, batchSize * seqLen);
      all[d.name] = ortTensor(d.dtype, buffers[d.name]!, d.shape);
    }
    for (const [name, p] of [...this.base, ...(this.options.lora?.adapter ?? [])])
      all[name] = ortTensor("float32", p.data, p.shape);
    const nll = new Float32Array(batchSize * seqLen);
    return {
      compiled,
      buffers,
      feeds: Object.fromEntries(compiled.model.inputs.map((i) => [i.name, all[i.name]!])),
      nll,
      fetches: { nll: ortTensor("float32", nll, [nll.length]) },
    };
  }

  /** Per-token NLL (nats) of one batch, row-major [B·T] (a view, overwritten by the next call of this shape). */
  async tokenNll(batch: Batch): Promise<Float32Array> {
    const key = `${batch.batchSize}x${batch.seqLen}`;
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = this.bucket(batch.batchSize, batch.seqLen);
      this.buckets.set(key, entry);
    }
    const bucket = await entry;
    fillLanguageModelBatch(batch, bucket.buffers);
    await bucket.compiled.run(bucket.feeds, bucket.fetches);
    return bucket.nll;
  }

  /** BPC, loss and counts over all scored tokens of the batches; `onBatch` reports progress after each. */
  async evaluate(
    batches: readonly Batch[],
    onBatch?: (done: number, total: number) => void,
  ): Promise<LanguageModelMetrics> {
    let nllSum = 0;
    let bytes = 0;
    let tokens = 0;
    for (const [index, batch] of batches.entries()) {
      const nll = await this.tokenNll(batch);
      // Fixed-order float64 sums: Σ w·nll and Σ bytes of scored tokens.
      for (let i = 0; i < nll.length; i++) {
        const w = batch.weights[i]!;
        if (w === 0) continue;
        nllSum += w * nll[i]!;
        bytes += batch.targetBytes[i]!;
        tokens += w;
      }
      onBatch?.(index + 1, batches.length);
    }
    if (bytes === 0) {
      // 0 bits over 0 bytes is no measurement: it must never become a (perfect) score.
      throw new ValidationError("EVALUATION_NOTHING_SCORED", "the evaluation batches hold no scored byte", {
        hint: "evaluate on conversations with assistant replies inside the context (chatEvaluationBatches refuses such sets)",
        details: { batches: batches.length },
      });
    }
    return {
      bpc: nllSum / (Math.LN2 * bytes),
      loss: nllSum / Math.max(tokens, 1),
      nllSum,
      tokens,
      bytes,
    };
  }

  async release(): Promise<void> {
    const all = [...this.buckets.values()];
    this.buckets.clear();
    for (const entry of all) await (await entry).compiled.release();
  }
}

/** One-shot evaluation of a decoder (and optional adapter) on batches. */
export async function evaluateLanguageModel(
  config: LlamaConfig,
  base: ParameterSet,
  batches: readonly Batch[],
  options: EvaluateOptions = {},
): Promise<LanguageModelMetrics> {
  const evaluator = new LanguageModelEvaluator(config, base, options);
  try {
    return await evaluator.evaluate(batches);
  } finally {
    await evaluator.release();
  }
}
