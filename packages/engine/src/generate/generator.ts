import { ValidationError } from "@flock/core";
import { createRng } from "../data/random.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import { headDim } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { type ort, ortTensor } from "../runtime/ortTypes.ts";
import type { Tokenizer } from "../tokenizer/tokenizer.ts";
import { buildDecodeGraph, cacheName, nextCacheName } from "./decodeGraph.ts";
import { type SamplingOptions, sampleToken } from "./sampler.ts";

export interface GenerateOptions extends SamplingOptions {
  maxNewTokens: number;
  /** Seed of the sampler: the same seed, model and prompt give the same text. */
  seed?: number;
  /** Stop when the generated text ends with one of these (the stop text is not returned). */
  stop?: readonly string[];
  /**
   * Called with each new piece of text as it is generated (streaming). When it returns a promise, the next
   * token is decoded only after it settles, so a slow reader slows the decoding (back-pressure).
   */
  onText?: (delta: string) => unknown;
  /** Stops decoding between two tokens once aborted; the generation ends with finish reason "abort". */
  signal?: AbortSignal;
}

export interface Generation {
  ids: number[];
  text: string;
  finishReason: "stop" | "length" | "eos" | "abort";
}

/**
 * Autoregressive generation with a key-value cache: one compiled decode-step graph, its caches in
 * ping-pong buffers; the prompt is fed through the same step graph one token at a time.
 */
export class Generator {
  readonly config: LlamaConfig;
  readonly tokenizer: Tokenizer;
  readonly maxLen: number;
  private readonly graph: CompiledGraph;
  private readonly feeds: [Record<string, ort.Tensor>, Record<string, ort.Tensor>];
  private readonly fetches: [Record<string, ort.Tensor>, Record<string, ort.Tensor>];
  private readonly caches: [Float32Array[], Float32Array[]];
  private readonly token = new Int32Array(1);
  private readonly position = new Int32Array(1);
  private readonly logits: Float32Array;

  private constructor(
    config: LlamaConfig,
    params: ParameterSet,
    tokenizer: Tokenizer,
    maxLen: number,
    graph: CompiledGraph,
  ) {
    this.config = config;
    this.tokenizer = tokenizer;
    this.maxLen = maxLen;
    this.graph = graph;
    this.logits = new Float32Array(config.vocab_size);
    const cacheShape = [1, config.num_key_value_heads, maxLen, headDim(config)];
    const size = cacheShape.reduce((a, b) => a * b, 1);
    const layers = config.num_hidden_layers;
    this.caches = [0, 1].map(() => Array.from({ length: 2 * layers }, () => new Float32Array(size))) as [
      Float32Array[],
      Float32Array[],
    ];
    const weights = Object.fromEntries(
      [...params].map(([name, p]) => [name, ortTensor("float32", p.data, p.shape)]),
    );
    const make = (parity: 0 | 1) => {
      const other = parity === 0 ? 1 : 0;
      const feeds: Record<string, ort.Tensor> = {
        token: ortTensor("int32", this.token, [1, 1]),
        position: ortTensor("int32", this.position, [1]),
      };
      const fetches: Record<string, ort.Tensor> = {
        logits: ortTensor("float32", this.logits, [1, config.vocab_size]),
      };
      for (let l = 0; l < layers; l++) {
        feeds[cacheName("k", l)] = ortTensor("float32", this.caches[parity][2 * l]!, cacheShape);
        feeds[cacheName("v", l)] = ortTensor("float32", this.caches[parity][2 * l + 1]!, cacheShape);
        fetches[nextCacheName("k", l)] = ortTensor("float32", this.caches[other][2 * l]!, cacheShape);
        fetches[nextCacheName("v", l)] = ortTensor("float32", this.caches[other][2 * l + 1]!, cacheShape);
      }
      const all = { ...weights, ...feeds };
      return { feeds: Object.fromEntries(graph.model.inputs.map((i) => [i.name, all[i.name]!])), fetches };
    };
    const pair = [make(0), make(1)];
    this.feeds = [pair[0]!.feeds, pair[1]!.feeds];
    this.fetches = [pair[0]!.fetches, pair[1]!.fetches];
  }

  /** Compile the decode step for a model; `maxLen` bounds prompt + generated tokens. */
  static async create(
    config: LlamaConfig,
    params: ParameterSet,
    tokenizer: Tokenizer,
    options: { maxLen?: number; threads?: number } = {},
  ): Promise<Generator> {
    const maxLen = options.maxLen ?? config.max_position_embeddings;
    const graph = await CompiledGraph.compile(buildDecodeGraph(config, params, 1, maxLen), {
      threads: options.threads ?? 1,
    });
    return new Generator(config, params, tokenizer, maxLen, graph);
  }

  /** Run one step: feed `token` at `position`, return the next-token logits (a view, valid until the next step). */
  async step(token: number, position: number, parity: 0 | 1): Promise<Float32Array> {
    this.token[0] = token;
    this.position[0] = position;
    await this.graph.run(this.feeds[parity], this.fetches[parity]);
    return this.logits;
  }

  /** Continue a prompt (token ids) with up to `maxNewTokens` tokens. */
  async generate(prompt: readonly number[], options: GenerateOptions): Promise<Generation> {
    if (prompt.length === 0 || prompt.length + options.maxNewTokens > this.maxLen) {
      throw new ValidationError(
        "GENERATE_TOO_LONG",
        `prompt (${prompt.length}) + maxNewTokens (${options.maxNewTokens}) must be in 1..${this.maxLen}`,
        {
          hint: "shorten the prompt, ask for fewer tokens, or create the generator with a larger maxLen",
        },
      );
    }
    for (const cache of this.caches[0]) cache.fill(0);
    const rng = createRng(options.seed ?? 0);
    let parity: 0 | 1 = 0;
    let logits = this.logits;
    const aborted = () => options.signal?.aborted === true;
    for (let t = 0; t < prompt.length; t++) {
      if (aborted()) return { ids: [], text: "", finishReason: "abort" };
      logits = await this.step(prompt[t]!, t, parity);
      parity = parity === 0 ? 1 : 0;
    }
    const ids: number[] = [];
    let text = "";
    const stops = options.stop ?? [];
    const eos = [this.tokenizer.specials.eos, this.tokenizer.specials.endOfTurn];
    for (let k = 0; k < options.maxNewTokens; k++) {
      if (aborted()) return { ids, text, finishReason: "abort" };
      const next = sampleToken(logits, options, rng);
      if (eos.includes(next)) return { ids, text, finishReason: "eos" };
      ids.push(next);
      const full = this.tokenizer.decode(ids);
      const stop = stops.find((s) => full.endsWith(s));
      if (stop !== undefined) {
        const kept = full.slice(0, full.length - stop.length);
        if (kept.length > text.length) await options.onText?.(kept.slice(text.length));
        return { ids, text: kept, finishReason: "stop" };
      }
      // Hold back text that could be the start of a stop sequence; stream the rest.
      const held = Math.max(0, ...stops.map((s) => overlap(full, s)));
      const safe = full.slice(0, full.length - held).replace(/\uFFFD$/, "");
      if (safe.length > text.length) {
        const delta = safe.slice(text.length);
        text = safe;
        await options.onText?.(delta);
      }
      if (k + 1 < options.maxNewTokens) {
        logits = await this.step(next, prompt.length + k, parity);
        parity = parity === 0 ? 1 : 0;
      }
    }
    const final = this.tokenizer.decode(ids);
    if (final.length > text.length) await options.onText?.(final.slice(text.length));
    return { ids, text: final, finishReason: "length" };
  }

  async release(): Promise<void> {
    await this.graph.release();
  }
}

/** Length of the longest suffix of `text` that is a proper prefix of `stop`. */
function overlap(text: string, stop: string): number {
  for (let n = Math.min(stop.length - 1, text.length); n > 0; n--)
    if (text.endsWith(stop.slice(0, n))) return n;
  return 0;
}
