import { randomInt, randomUUID } from "node:crypto";
import { ValidationError } from "@flock/core";
import {
  type BaseModel,
  ByteTokenizer,
  decodeAdapterArtifact,
  decodeBaseModel,
  Generator,
  mergeLora,
  renderGenerationPrompt,
} from "@flock/engine";
import type { CompletionRequest } from "./completionRequest.ts";
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
   * Decode, calling `onText` with each new piece (awaited: a slow reader slows decoding); stops between
   * tokens once `signal` is aborted.
   */
  run(options: {
    onText?: (delta: string) => Promise<void> | void;
    signal?: AbortSignal;
  }): Promise<CompletionResult>;
}

/** What the engine has done, for operators and tests. */
export interface CompletionStats {
  /** Requests decoding right now. */
  running: number;
  /** Requests waiting for their model's decoder. */
  queued: number;
  /** The last finished request's outcome. */
  lastFinished?: CompletionResult;
}

interface LoadedModel {
  generator: Generator;
  /** Runs requests of this model one at a time (one KV cache). */
  queue: Promise<unknown>;
}

/**
 * Serves completions from the engine's `Generator` (a compiled KV-cache decode step per model), loading a
 * model on its first request; requests of one model are decoded one after another.
 */
export class CompletionEngine {
  private readonly catalog: ModelCatalog;
  private readonly now: () => Date;
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  private running = 0;
  private queued = 0;
  private lastFinished: CompletionResult | undefined;

  constructor(catalog: ModelCatalog, options: { now?: () => Date } = {}) {
    this.catalog = catalog;
    this.now = options.now ?? (() => new Date());
  }

  /** The models served, as `/v1/models` lists them. */
  async listModels(): Promise<CatalogModel[]> {
    return this.catalog.list();
  }

  stats(): CompletionStats {
    return {
      running: this.running,
      queued: this.queued,
      ...(this.lastFinished === undefined ? {} : { lastFinished: this.lastFinished }),
    };
  }

  /** Find and load the model, render and measure the prompt: every refusal happens here, before any output. */
  async prepare(request: CompletionRequest): Promise<PreparedCompletion> {
    const entry = await this.catalog.get(request.model);
    if (entry === undefined) throw modelNotFound(request.model);
    const model = await this.load(entry);
    const { generator } = model;
    const tokenizer = generator.tokenizer;
    const prompt =
      request.input.kind === "chat"
        ? renderGenerationPrompt(request.input.conversation, tokenizer)
        : [tokenizer.specials.bos, ...tokenizer.encode(request.input.prompt)];
    const room = generator.maxLen - prompt.length;
    if (room < 1 || (request.maxTokens !== undefined && request.maxTokens > room)) {
      throw new ValidationError(
        "SERVING_CONTEXT_TOO_LONG",
        `This model's maximum context length is ${generator.maxLen} tokens. However, you requested ` +
          `${prompt.length + (request.maxTokens ?? 0)} tokens (${prompt.length} in the messages, ` +
          `${request.maxTokens ?? 0} in the completion).`,
        {
          hint: "shorten the prompt or ask for fewer tokens (max_tokens)",
          details: { param: "messages", openAiCode: "context_length_exceeded" },
        },
      );
    }
    const maxNewTokens = request.maxTokens ?? room;
    const seed = request.seed ?? randomInt(0, 2 ** 48);
    return {
      model: entry.id,
      id: `${request.kind === "chat" ? "chatcmpl" : "cmpl"}-${randomUUID().replaceAll("-", "")}`,
      created: Math.floor(this.now().getTime() / 1000),
      promptTokens: prompt.length,
      run: (options) =>
        this.enqueue(model, async () => {
          if (options.signal?.aborted === true)
            return { text: "", finishReason: "abort", promptTokens: prompt.length, completionTokens: 0 };
          const generation = await generator.generate(prompt, {
            maxNewTokens,
            temperature: request.temperature,
            topP: request.topP,
            seed,
            stop: request.stop,
            ...(options.onText === undefined ? {} : { onText: options.onText }),
            ...(options.signal === undefined ? {} : { signal: options.signal }),
          });
          return {
            text: generation.text,
            // The model ending its turn is OpenAI's "stop" as much as a stop sequence is.
            finishReason: generation.finishReason === "eos" ? "stop" : generation.finishReason,
            promptTokens: prompt.length,
            completionTokens: generation.ids.length,
          };
        }),
    };
  }

  /** Release every compiled model. */
  async close(): Promise<void> {
    const models = [...this.loaded.values()];
    this.loaded.clear();
    for (const model of models) {
      const loaded = await model.catch(() => undefined);
      if (loaded === undefined) continue;
      await loaded.queue.catch(() => undefined);
      await loaded.generator.release();
    }
  }

  private async enqueue(
    model: LoadedModel,
    work: () => Promise<CompletionResult>,
  ): Promise<CompletionResult> {
    this.queued++;
    const turn = model.queue
      .catch(() => undefined)
      .then(async () => {
        this.queued--;
        this.running++;
        try {
          const result = await work();
          this.lastFinished = result;
          return result;
        } finally {
          this.running--;
        }
      });
    model.queue = turn;
    return turn;
  }

  private load(entry: CatalogModel): Promise<LoadedModel> {
    let model = this.loaded.get(entry.id);
    if (model === undefined) {
      model = entry.weights().then(async (weights) => ({
        generator: await Generator.create(...modelOf(weights)),
        queue: Promise.resolve(),
      }));
      // A model that failed to load is tried again on the next request.
      model.catch(() => this.loaded.delete(entry.id));
      this.loaded.set(entry.id, model);
    }
    return model;
  }
}

/** The decoder a catalog entry runs: its base, with its LoRA adapter merged in when it has one. */
function modelOf(weights: ModelWeights): Parameters<typeof Generator.create> {
  const base: BaseModel =
    weights.baseModel instanceof Uint8Array ? decodeBaseModel(weights.baseModel) : weights.baseModel;
  const tokenizer = weights.tokenizer ?? new ByteTokenizer();
  if (weights.adapter === undefined) return [base.config, base.params, tokenizer];
  const adapter = decodeAdapterArtifact(weights.adapter.bytes, base.config, weights.adapter.baseModelId);
  return [base.config, mergeLora(base.config, base.params, adapter.lora, adapter.adapter), tokenizer];
}
