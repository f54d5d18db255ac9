import { randomInt, randomUUID } from "node:crypto";
import { ValidationError } from "@flock/core";
import {
  type BaseModel,
  BatchDecoder,
  ByteTokenizer,
  decodeAdapterArtifact,
  decodeBaseModel,
  Generator,
  mergeLora,
  renderGenerationPrompt,
  type Tokenizer,
} from "@flock/engine";
import type { CompletionRequest } from "./completionRequest.ts";
import { DecodeScheduler, type SequenceRequest, type SequenceResult } from "./decodeScheduler.ts";
import type { CatalogModel, ModelCatalog, ModelWeights } from "./modelCatalog.ts";
import { modelNotFound } from "./openAiError.ts";
import type { FinishReason } from "./openAiWire.ts";

/** How a completion ended: OpenAI's finish reason, or "abort" when the client went away. */
export interface CompletionResult {
  text: string;
  finishReason: FinishReason | "abort";
  promptTokens: number;
  completionTokens: number;
}

/** A request whose model is loaded and whose prompt fits: what remains is to run it. */
export interface PreparedCompletion {
  /** The served model's id. */
  model: string;
  /** `chatcmpl-…` or `cmpl-…`. */
  id: string;
  /** Unix seconds. */
  created: number;
  promptTokens: number;
  /**
   * Decode, calling `onText` with each new piece (awaited: a slow reader slows its own decoding); stops
   * between tokens once `signal` is aborted.
   */
  run(options: { onText?: (delta: string) => unknown; signal?: AbortSignal }): Promise<CompletionResult>;
}

/** What the engine is doing, for operators and tests. */
export interface CompletionStats {
  /** Requests decoding or waiting to decode. */
  running: number;
  /** Batched decode steps run so far over all models (0 when requests run one at a time). */
  batchedSteps: number;
  /** The last finished request's outcome. */
  lastFinished?: CompletionResult;
}

export interface CompletionEngineOptions {
  /**
   * Sequences one model decodes together in one batched step (continuous batching); 1 (the default) decodes
   * one request at a time with the engine's `Generator`.
   */
  batchRows?: number;
  now?: () => Date;
}

/** A loaded model: how to decode one sequence of it, with its tokenizer and context length. */
interface LoadedModel {
  tokenizer: Tokenizer;
  maxLen: number;
  decode(request: SequenceRequest): Promise<SequenceResult>;
  /** Batched decode steps run so far. */
  steps(): number;
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
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  private readonly compiled = new Set<LoadedModel>();
  private running = 0;
  private lastFinished: CompletionResult | undefined;

  constructor(catalog: ModelCatalog, options: CompletionEngineOptions = {}) {
    this.catalog = catalog;
    this.now = options.now ?? (() => new Date());
    this.batchRows = options.batchRows ?? 1;
  }

  /** The models served, as `/v1/models` lists them. */
  async listModels(): Promise<CatalogModel[]> {
    return this.catalog.list();
  }

  stats(): CompletionStats {
    return {
      running: this.running,
      batchedSteps: [...this.compiled].reduce((sum, m) => sum + m.steps(), 0),
      ...(this.lastFinished === undefined ? {} : { lastFinished: this.lastFinished }),
    };
  }

  /** Find and load the model, render and measure the prompt: every refusal happens here, before any output. */
  async prepare(request: CompletionRequest): Promise<PreparedCompletion> {
    const entry = await this.catalog.get(request.model);
    if (entry === undefined) throw modelNotFound(request.model);
    const model = await this.load(entry);
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

  private load(entry: CatalogModel): Promise<LoadedModel> {
    const key = `${entry.id}\u0000${entry.revision ?? ""}`;
    let model = this.loaded.get(key);
    if (model === undefined) {
      model = entry.weights().then(async (weights) => {
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
    if (this.batchRows > 1) {
      const decoder = await BatchDecoder.create(config, params, { rows: this.batchRows });
      const scheduler = new DecodeScheduler(decoder, tokenizer);
      return {
        tokenizer,
        maxLen: decoder.maxLen,
        decode: (request) => scheduler.submit(request),
        steps: () => scheduler.steps,
        release: () => decoder.release(),
      };
    }
    const generator = await Generator.create(config, params, tokenizer);
    // One KV cache: requests run one at a time.
    let queue: Promise<unknown> = Promise.resolve();
    return {
      tokenizer,
      maxLen: generator.maxLen,
      steps: () => 0,
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
