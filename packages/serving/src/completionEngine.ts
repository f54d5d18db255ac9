import { randomInt, randomUUID } from "node:crypto";
import { ValidationError } from "@flock/core";
import {
  type BaseModel,
  BatchDecoder,
  ByteTokenizer,
  decodeAdapterArtifact,
  decodeBaseModel,
  Generator,
  type LlamaConfig,
  mergeLora,
  type RowAdapter,
  renderGenerationPrompt,
  rowAdapterOf,
  type Tokenizer,
} from "@flock/engine";
import { AdapterCache, type AdapterCacheStats } from "./adapterCache.ts";
import type { CompletionResult, PreparedCompletion } from "./completion.ts";
import type { CompletionRequest } from "./completionRequest.ts";
import { DecodeScheduler, type SequenceRequest, type SequenceResult } from "./decodeScheduler.ts";
import type { CatalogAdapter, CatalogModel, ModelCatalog, ModelWeights } from "./modelCatalog.ts";
import { modelNotFound } from "./openAiError.ts";
import { prepareUpstream } from "./upstream.ts";

export type { CompletionResult, PreparedCompletion } from "./completion.ts";

/** What the engine is doing, for operators and tests. */
export interface CompletionStats {
  /** Requests decoding or waiting to decode. */
  running: number;
  /** Batched decode steps run so far over all models (0 when requests run one at a time). */
  batchedSteps: number;
  /** Prefill calls (prompt chunks) run so far over all models. */
  prefills: number;
  /** The last finished request's outcome. */
  lastFinished?: CompletionResult;
  /** LoRA adapters hot-loaded over shared bases (batched engines). */
  adapters: AdapterCacheStats;
}

export interface CompletionEngineOptions {
  /**
   * Sequences one model decodes together in one batched step (continuous batching); 1 (the default) decodes
   * one request at a time with the engine's `Generator`.
   */
  batchRows?: number;
  /**
   * Decode with the batched decoder (in-place caches, chunked prefill, adapter slots) even with one row
   * (default: `batchRows` > 1). With one row, requests run one at a time on it.
   */
  batched?: boolean;
  /**
   * With a batched engine, LoRA adapters of a shared base (catalog entries with `adapter`) are loaded by model
   * id on first use and the least recently used evicted beyond `maxAdapters` adapters (default 8) or
   * `maxAdapterBytes` bytes (default: no limit).
   */
  maxAdapters?: number;
  maxAdapterBytes?: number;
  /** The largest adapter rank served from the decoder's per-row slots (default 16); larger ones are merged. */
  maxAdapterRank?: number;
  /** Prompt tokens read per prefill call (default 32). */
  prefillChunk?: number;
  /** The HTTP client for upstream routes (default: the global fetch). */
  fetch?: typeof fetch;
  now?: () => Date;
}

/** A loaded model: how to decode one sequence of it, with its tokenizer and context length. */
interface LoadedModel {
  tokenizer: Tokenizer;
  maxLen: number;
  decode(request: SequenceRequest): Promise<SequenceResult>;
  /** Batched decode steps and prefill calls run so far. */
  steps(): number;
  prefills(): number;
  config: LlamaConfig;
  release(): Promise<void>;
}

/**
 * Serves completions from the engine's KV-cache decode, loading a model on its first request and keeping it:
 * with `batchRows` > 1 a model's requests share batched decode steps (`DecodeScheduler`), otherwise they run
 * one after another through a `Generator`.
 */
export class CompletionEngine {
  private readonly catalog: ModelCatalog;
  private readonly now: () => Date;
  private readonly batchRows: number;
  private readonly batched: boolean;
  private readonly maxAdapterRank: number;
  private readonly prefillChunk: number | undefined;
  private readonly fetch: typeof fetch;
  private readonly adapters: AdapterCache;
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  private readonly compiled = new Set<LoadedModel>();
  private running = 0;
  private lastFinished: CompletionResult | undefined;

  constructor(catalog: ModelCatalog, options: CompletionEngineOptions = {}) {
    this.catalog = catalog;
    this.now = options.now ?? (() => new Date());
    this.batchRows = options.batchRows ?? 1;
    this.batched = options.batched ?? this.batchRows > 1;
    this.maxAdapterRank = options.maxAdapterRank ?? 16;
    this.prefillChunk = options.prefillChunk;
    this.fetch = options.fetch ?? fetch;
    this.adapters = new AdapterCache({
      ...(options.maxAdapters === undefined ? {} : { maxAdapters: options.maxAdapters }),
      ...(options.maxAdapterBytes === undefined ? {} : { maxBytes: options.maxAdapterBytes }),
    });
  }

  /** The models served, as `/v1/models` lists them. */
  async listModels(): Promise<CatalogModel[]> {
    return this.catalog.list();
  }

  stats(): CompletionStats {
    return {
      running: this.running,
      batchedSteps: [...this.compiled].reduce((sum, m) => sum + m.steps(), 0),
      prefills: [...this.compiled].reduce((sum, m) => sum + m.prefills(), 0),
      ...(this.lastFinished === undefined ? {} : { lastFinished: this.lastFinished }),
      adapters: this.adapters.stats(),
    };
  }

  /** Find and load the model, render and measure the prompt: every refusal happens here, before any output. */
  async prepare(request: CompletionRequest): Promise<PreparedCompletion> {
    const entry = await this.catalog.get(request.model);
    if (entry === undefined) throw modelNotFound(request.model);
    if (entry.upstream !== undefined && entry.upstream.length > 0) {
      return prepareUpstream(entry, request, {
        fetch: this.fetch,
        now: this.now,
        onFinish: (result) => {
          this.lastFinished = result;
        },
        running: (delta) => {
          this.running += delta;
        },
      });
    }
    const { model, adapter } = await this.resolve(entry);
    const { tokenizer, maxLen } = model;
    const prompt =
      request.input.kind === "chat"
        ? renderGenerationPrompt(request.input.conversation, tokenizer)
        : [tokenizer.specials.bos, ...tokenizer.encode(request.input.prompt)];
    const room = maxLen - prompt.length;
    if (room < 1 || (request.maxTokens !== undefined && request.maxTokens > room)) {
      throw new ValidationError(
        "SERVING_CONTEXT_TOO_LONG",
        `This model's maximum context length is ${maxLen} tokens. However, you requested ` +
          `${prompt.length + (request.maxTokens ?? 0)} tokens (${prompt.length} in the messages, ` +
          `${request.maxTokens ?? 0} in the completion).`,
        {
          hint: "shorten the prompt or ask for fewer tokens (max_tokens)",
          details: { param: "messages", openAiCode: "context_length_exceeded" },
        },
      );
    }
    const seed = request.seed ?? randomInt(0, 2 ** 47);
    return {
      model: entry.id,
      id: `${request.kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`,
      created: Math.floor(this.now().getTime() / 1000),
      promptTokens: prompt.length,
      maxCompletionTokens: request.maxTokens ?? room,
      run: async (options) => {
        this.running++;
        try {
          const generation = await model.decode({
            prompt,
            maxNewTokens: request.maxTokens ?? room,
            temperature: request.temperature,
            topP: request.topP,
            seed,
            stop: request.stop,
            ...(options.onText === undefined ? {} : { onText: options.onText }),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
            ...(adapter === undefined ? {} : { adapter }),
          });
          const result: CompletionResult = {
            text: generation.text,
            // The model ending its turn is OpenAI's "stop" as much as a stop sequence is.
            finishReason: generation.finishReason === "eos" ? "stop" : generation.finishReason,
            promptTokens: prompt.length,
            completionTokens: generation.ids.length,
          };
          this.lastFinished = result;
          return result;
        } finally {
          this.running--;
        }
      },
    };
  }

  /** Release every compiled model. */
  async close(): Promise<void> {
    const models = [...this.loaded.values()];
    this.loaded.clear();
    for (const model of models) {
      const loaded = await model.catch(() => undefined);
      if (loaded === undefined) continue;
      this.compiled.delete(loaded);
      await loaded.release();
    }
  }

  /**
   * The loaded model a request runs on: an adapter entry on a batched engine shares its base's decoder and
   * brings its adapter (hot-loaded, LRU); anything else is a whole model (an adapter merged into its base).
   */
  private async resolve(entry: CatalogModel): Promise<{ model: LoadedModel; adapter?: RowAdapter }> {
    const source = entry.adapter;
    if (source === undefined || !this.batched) return { model: await this.load(entry) };
    const base = await this.loadBase(source);
    const key = entry.revision === undefined ? entry.id : `${entry.id}@${entry.revision}`;
    const adapter = await this.adapters.get(key, async () => {
      const bytes = await source.bytes();
      const decoded = decodeAdapterArtifact(bytes, base.config, source.baseModelId);
      return rowAdapterOf(base.config, decoded.lora, decoded.adapter);
    });
    if (adapter.rank > this.maxAdapterRank) {
      // Beyond the decoder's slots: served as its own model, the adapter merged into a copy of its base.
      this.adapters.delete(key);
      return { model: await this.load(entry) };
    }
    return { model: base, adapter };
  }

  private loadBase(source: CatalogAdapter): Promise<LoadedModel> {
    return this.cached(`base\u0000${source.baseModelId}`, () => source.base());
  }

  private load(entry: CatalogModel): Promise<LoadedModel> {
    return this.cached(`${entry.id}\u0000${entry.revision ?? ""}`, () => entry.weights());
  }

  private cached(key: string, weights: () => Promise<ModelWeights>): Promise<LoadedModel> {
    let model = this.loaded.get(key);
    if (model === undefined) {
      model = weights().then(async (weights) => {
        const loaded = await this.compile(weights);
        this.compiled.add(loaded);
        return loaded;
      });
      // A model that failed to load is tried again on the next request.
      model.catch(() => this.loaded.delete(key));
      this.loaded.set(key, model);
    }
    return model;
  }

  private async compile(weights: ModelWeights): Promise<LoadedModel> {
    const [config, params, tokenizer] = decoderOf(weights);
    if (this.batched) {
      const decoder = await BatchDecoder.create(config, params, {
        rows: this.batchRows,
        lora: { maxRank: this.maxAdapterRank },
        ...(this.prefillChunk === undefined ? {} : { prefillChunk: this.prefillChunk }),
      });
      const scheduler = new DecodeScheduler(decoder, tokenizer);
      return {
        tokenizer,
        config,
        maxLen: decoder.maxLen,
        decode: (request) => scheduler.submit(request),
        steps: () => scheduler.steps,
        prefills: () => scheduler.prefills,
        release: () => decoder.release(),
      };
    }
    const generator = await Generator.create(config, params, tokenizer);
    // One KV cache: requests run one at a time.
    let queue: Promise<unknown> = Promise.resolve();
    return {
      tokenizer,
      config,
      maxLen: generator.maxLen,
      steps: () => 0,
      prefills: () => 0,
      decode: (request) => {
        const turn = queue
          .catch(() => undefined)
          .then((): Promise<SequenceResult> | SequenceResult =>
            request.signal?.aborted === true
              ? { ids: [], text: "", finishReason: "abort" }
              : generator.generate(request.prompt, request),
          );
        queue = turn;
        return turn;
      },
      release: async () => {
        await queue.catch(() => undefined);
        await generator.release();
      },
    };
  }
}

/** The decoder a catalog entry runs: its base, with its LoRA adapter merged in when it has one. */
function decoderOf(weights: ModelWeights): Parameters<typeof Generator.create> {
  const base: BaseModel =
    weights.baseModel instanceof Uint8Array ? decodeBaseModel(weights.baseModel) : weights.baseModel;
  const tokenizer = weights.tokenizer ?? new ByteTokenizer();
  if (weights.adapter === undefined) return [base.config, base.params, tokenizer];
  const adapter = decodeAdapterArtifact(weights.adapter.bytes, base.config, weights.adapter.baseModelId);
  return [base.config, mergeLora(base.config, base.params, adapter.lora, adapter.adapter), tokenizer];
}
