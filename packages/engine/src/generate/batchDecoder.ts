import { ValidationError } from "@flock/core";
import { loraNames } from "../lora/loraAdapter.ts";
import { type LoraConfig, loraScale } from "../lora/loraConfig.ts";
import { llamaLinearModules, llamaParameterShapes } from "../nn/llama.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import { headDim } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { type ort, ortTensor } from "../runtime/ortTypes.ts";
import { batchedNames, buildBatchedStepGraph } from "./batchedDecodeGraph.ts";

/**
 * A LoRA adapter laid out for a batched step's per-row slots: per targeted module, A as [in, r] and B as
 * [r, out] with alpha/r folded in. Built once when the adapter is loaded; putting it in a row is a copy.
 */
export interface RowAdapter {
  rank: number;
  modules: Map<string, { a: Float32Array; b: Float32Array; inp: number; out: number }>;
  /** Bytes held by the adapter's arrays. */
  bytes: number;
}

/** Lay out a decoded adapter (PEFT names, A [r, in], B [out, r]) for `BatchDecoder.setAdapter`. */
export function rowAdapterOf(config: LlamaConfig, lora: LoraConfig, adapter: ParameterSet): RowAdapter {
  const shapes = llamaParameterShapes(config);
  const scale = loraScale(lora);
  const r = lora.r;
  const modules: RowAdapter["modules"] = new Map();
  let bytes = 0;
  for (const module of llamaLinearModules(config)) {
    const names = loraNames(module);
    const a = adapter.get(names.a);
    const b = adapter.get(names.b);
    if (a === undefined || b === undefined) continue;
    const [out, inp] = shapes.get(`${module}.weight`) as [number, number];
    const at = new Float32Array(inp * r);
    for (let k = 0; k < r; k++) for (let i = 0; i < inp; i++) at[i * r + k] = a.data[k * inp + i]!;
    const bt = new Float32Array(r * out);
    for (let o = 0; o < out; o++) for (let k = 0; k < r; k++) bt[k * out + o] = scale * b.data[o * r + k]!;
    modules.set(module, { a: at, b: bt, inp, out });
    bytes += at.byteLength + bt.byteLength;
  }
  return { rank: r, modules, bytes };
}

interface Step {
  graph: CompiledGraph;
  feeds: Record<string, ort.Tensor>;
  fetches: Record<string, ort.Tensor>;
  tokens: Int32Array;
  positions: Int32Array;
  logits: Float32Array;
  newKeys: Float32Array[];
  newValues: Float32Array[];
}

export interface BatchDecoderOptions {
  rows: number;
  maxLen?: number;
  /** Prompt tokens one prefill call reads (default 32, at most maxLen). */
  prefillChunk?: number;
  threads?: number;
  /**
   * Per-row LoRA adapters: the modules that may take one (full names; default every Linear module) and the
   * largest rank (default 16). The adapter graphs are compiled on the first `setAdapter` with an adapter.
   */
  lora?: { modules?: readonly string[]; maxRank?: number };
}

/**
 * `rows` independent sequences decoded by one compiled step (continuous batching): each row has its own slice
 * of the key-value caches and its own position, so a sequence starts in a free row while the others continue.
 * The caches are inputs the graph only reads; the step returns its new keys and values, which are written into
 * each row's cache at its position (in place: a few floats per row, whatever the context length). Prompts are
 * read `prefillChunk` tokens at a time, one row per call (chunked prefill). A row's cache needs no clearing: a
 * new sequence overwrites positions from 0 and positions at or after a row's position are masked.
 *
 * Each row may carry its own LoRA adapter of the shared base (`setAdapter`): while any row has one, steps run
 * a graph that adds every row's low-rank update from per-row slots (zeros for rows without), so requests for
 * different adapters of one base share one step.
 */
export class BatchDecoder {
  readonly config: LlamaConfig;
  readonly rows: number;
  readonly maxLen: number;
  readonly prefillChunk: number;
  private readonly params: ParameterSet;
  private readonly threads: number;
  private readonly keys: Float32Array[];
  private readonly values: Float32Array[];
  private readonly weights: Record<string, ort.Tensor>;
  private readonly loraModules: readonly string[];
  private readonly maxRank: number;
  private readonly decodePlain: Step;
  private readonly prefillPlain: Step;
  private lora:
    | {
        decode: Step;
        prefill: Step;
        a: Map<string, Float32Array>;
        b: Map<string, Float32Array>;
      }
    | undefined;
  private loraCompiling: Promise<void> | undefined;
  private readonly adapters: Array<RowAdapter | undefined>;

  private constructor(
    config: LlamaConfig,
    params: ParameterSet,
    options: Required<Omit<BatchDecoderOptions, "lora">> & { lora: BatchDecoderOptions["lora"] },
    decode: CompiledGraph,
    prefill: CompiledGraph,
  ) {
    this.config = config;
    this.params = params;
    this.rows = options.rows;
    this.maxLen = options.maxLen;
    this.prefillChunk = options.prefillChunk;
    this.threads = options.threads;
    this.loraModules = options.lora?.modules ?? llamaLinearModules(config);
    this.maxRank = options.lora?.maxRank ?? 16;
    this.adapters = Array.from({ length: this.rows }, () => undefined);
    const layers = config.num_hidden_layers;
    const size = this.rows * config.num_key_value_heads * this.maxLen * headDim(config);
    this.keys = Array.from({ length: layers }, () => new Float32Array(size));
    this.values = Array.from({ length: layers }, () => new Float32Array(size));
    this.weights = Object.fromEntries(
      [...params].map(([name, p]) => [name, ortTensor("float32", p.data, p.shape)]),
    );
    this.decodePlain = this.bind(decode, this.rows, 1);
    this.prefillPlain = this.bind(prefill, 1, this.prefillChunk);
  }

  /** Compile the batched steps for `rows` sequences of up to `maxLen` tokens each. */
  static async create(
    config: LlamaConfig,
    params: ParameterSet,
    options: BatchDecoderOptions,
  ): Promise<BatchDecoder> {
    const maxLen = options.maxLen ?? config.max_position_embeddings;
    const prefillChunk = Math.min(options.prefillChunk ?? 32, maxLen);
    const threads = options.threads ?? 1;
    const [decode, prefill] = await Promise.all([
      CompiledGraph.compile(
        buildBatchedStepGraph(config, params, { rows: options.rows, tokens: 1, maxLen }),
        {
          threads,
        },
      ),
      CompiledGraph.compile(
        buildBatchedStepGraph(config, params, { rows: 1, tokens: prefillChunk, maxLen }),
        {
          threads,
        },
      ),
    ]);
    return new BatchDecoder(
      config,
      params,
      { rows: options.rows, maxLen, prefillChunk, threads, lora: options.lora },
      decode,
      prefill,
    );
  }

  /** Bytes of the key-value caches (all rows, all layers). */
  get cacheBytes(): number {
    return this.keys.reduce((s, k) => s + k.byteLength, 0) * 2;
  }

  /** Feeds and fetches of a step over `rows` rows starting at row `first` (prefill: one row). */
  private bind(graph: CompiledGraph, rows: number, tokens: number, first = 0, lora?: LoraBuffers): Step {
    const config = this.config;
    const hd = headDim(config);
    const kv = config.num_key_value_heads;
    const rowSize = kv * this.maxLen * hd;
    const step: Step = {
      graph,
      feeds: {},
      fetches: {},
      tokens: new Int32Array(rows * tokens),
      positions: new Int32Array(rows),
      logits: new Float32Array(rows * tokens * config.vocab_size),
      newKeys: [],
      newValues: [],
    };
    const all: Record<string, ort.Tensor> = {
      ...this.weights,
      token: ortTensor("int32", step.tokens, [rows, tokens]),
      position: ortTensor("int32", step.positions, [rows]),
    };
    step.fetches.logits = ortTensor("float32", step.logits, [rows * tokens, config.vocab_size]);
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const span = (a: Float32Array) => a.subarray(first * rowSize, (first + rows) * rowSize);
      all[batchedNames.keys(l)] = ortTensor("float32", span(this.keys[l]!), [rows, kv, hd, this.maxLen]);
      all[batchedNames.values(l)] = ortTensor("float32", span(this.values[l]!), [rows, kv, this.maxLen, hd]);
      const k = new Float32Array(rows * kv * tokens * hd);
      const v = new Float32Array(rows * kv * tokens * hd);
      step.newKeys.push(k);
      step.newValues.push(v);
      step.fetches[batchedNames.newKeys(l)] = ortTensor("float32", k, [rows, kv, tokens, hd]);
      step.fetches[batchedNames.newValues(l)] = ortTensor("float32", v, [rows, kv, tokens, hd]);
    }
    if (lora !== undefined) {
      for (const module of this.loraModules) {
        const a = lora.a.get(module)!;
        const b = lora.b.get(module)!;
        const inp = a.length / (this.rows * this.maxRank);
        const out = b.length / (this.rows * this.maxRank);
        const perA = inp * this.maxRank;
        const perB = out * this.maxRank;
        all[batchedNames.loraA(module)] = ortTensor(
          "float32",
          a.subarray(first * perA, (first + rows) * perA),
          [rows, inp, this.maxRank],
        );
        all[batchedNames.loraB(module)] = ortTensor(
          "float32",
          b.subarray(first * perB, (first + rows) * perB),
          [rows, this.maxRank, out],
        );
      }
    }
    step.feeds = Object.fromEntries(graph.model.inputs.map((i) => [i.name, all[i.name]!]));
    return step;
  }

  /** Write a step's new keys and values of its row `r` (cache row `row`), tokens [0, count), at `start`. */
  private writeCache(step: Step, r: number, row: number, start: number, count: number, tokens: number): void {
    const hd = headDim(this.config);
    const kv = this.config.num_key_value_heads;
    const L = this.maxLen;
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      const keys = this.keys[l]!;
      const values = this.values[l]!;
      const newK = step.newKeys[l]!;
      const newV = step.newValues[l]!;
      for (let h = 0; h < kv; h++) {
        const src = (r * kv + h) * tokens * hd;
        const kBase = (row * kv + h) * hd * L;
        for (let t = 0; t < count; t++) {
          const p = start + t;
          for (let d = 0; d < hd; d++) keys[kBase + d * L + p] = newK[src + t * hd + d]!;
        }
        values.set(newV.subarray(src, src + count * hd), ((row * kv + h) * L + start) * hd);
      }
    }
  }

  private active(): { decode: Step; prefill: Step } {
    return this.lora !== undefined && this.adapters.some((a) => a !== undefined)
      ? this.lora
      : { decode: this.decodePlain, prefill: this.prefillPlain };
  }

  /**
   * One decoding step: feed `tokens[r]` at `positions[r]` to every row and return the next-token logits
   * [rows × vocab] (a view, valid until the next call). The keys and values of rows with `write[r]` are
   * written into their caches; the others (free rows, rows waiting) are computed and dropped.
   */
  async step(
    tokens: ArrayLike<number>,
    positions: ArrayLike<number>,
    write?: ArrayLike<boolean>,
  ): Promise<Float32Array> {
    const step = this.active().decode;
    step.tokens.set(tokens);
    step.positions.set(positions);
    await step.graph.run(step.feeds, step.fetches);
    for (let r = 0; r < this.rows; r++) {
      if (write !== undefined && !write[r]) continue;
      if (positions[r]! >= this.maxLen) continue;
      this.writeCache(step, r, r, positions[r]!, 1, 1);
    }
    return step.logits;
  }

  /**
   * Read up to `prefillChunk` prompt tokens of row `row` starting at `start` (its earlier positions already
   * read): their keys and values go into the row's cache; returns the logits after the last of them (a view,
   * valid until the next call).
   */
  async prefill(row: number, tokens: readonly number[], start: number): Promise<Float32Array> {
    const n = tokens.length;
    if (n < 1 || n > this.prefillChunk || start + n > this.maxLen) {
      throw new ValidationError(
        "ENGINE_PREFILL_CHUNK",
        `a prefill call reads 1 to ${this.prefillChunk} tokens within ${this.maxLen} positions, got ${n} at ${start}`,
        { hint: "split the prompt into chunks of prefillChunk tokens" },
      );
    }
    const base = this.active().prefill;
    const step = row === 0 ? base : this.bindPrefill(row);
    step.tokens.fill(0);
    step.tokens.set(tokens);
    step.positions[0] = start;
    await step.graph.run(step.feeds, step.fetches);
    this.writeCache(step, 0, row, start, n, this.prefillChunk);
    const vocab = this.config.vocab_size;
    return step.logits.subarray((n - 1) * vocab, n * vocab);
  }

  private readonly prefillRows = new Map<string, Step>();

  /** The prefill step bound to row `row`'s slice of the caches (and adapter slots). */
  private bindPrefill(row: number): Step {
    const withLora = this.active() === this.lora;
    const key = `${withLora ? "lora" : "plain"}:${row}`;
    let step = this.prefillRows.get(key);
    if (step === undefined) {
      const graph = withLora ? this.lora!.prefill.graph : this.prefillPlain.graph;
      step = this.bind(graph, 1, this.prefillChunk, row, withLora ? this.lora : undefined);
      this.prefillRows.set(key, step);
    }
    return step;
  }

  /**
   * Give row `row` an adapter of this base (or none): its later steps add the adapter's update. The adapter
   * graphs are compiled on first use. Refused when the adapter's rank exceeds `maxRank` or it targets a module
   * outside `modules`.
   */
  async setAdapter(row: number, adapter: RowAdapter | undefined): Promise<void> {
    if (adapter !== undefined) {
      if (adapter.rank > this.maxRank) {
        throw new ValidationError(
          "ENGINE_ADAPTER_UNSUPPORTED",
          `adapter rank ${adapter.rank} is above this server's largest served rank ${this.maxRank}`,
          { hint: "raise serving.maxAdapterRank or serve the adapter merged into its base" },
        );
      }
      const outside = [...adapter.modules.keys()].find((m) => !this.loraModules.includes(m));
      if (outside !== undefined) {
        throw new ValidationError(
          "ENGINE_ADAPTER_UNSUPPORTED",
          `adapter targets ${outside}, which this server's adapter slots do not cover`,
          { hint: "serve the adapter merged into its base" },
        );
      }
      await this.compileLora();
    }
    this.adapters[row] = adapter;
    const lora = this.lora;
    if (lora === undefined) return;
    const R = this.maxRank;
    for (const module of this.loraModules) {
      const a = lora.a.get(module)!;
      const b = lora.b.get(module)!;
      const inp = a.length / (this.rows * R);
      const out = b.length / (this.rows * R);
      const slotA = a.subarray(row * inp * R, (row + 1) * inp * R);
      const slotB = b.subarray(row * out * R, (row + 1) * out * R);
      slotA.fill(0);
      slotB.fill(0);
      const m = adapter?.modules.get(module);
      if (m === undefined) continue;
      const r = adapter!.rank;
      for (let i = 0; i < inp; i++) slotA.set(m.a.subarray(i * r, (i + 1) * r), i * R);
      slotB.set(m.b, 0); // [r, out] rows are the first r rows of [R, out]
    }
  }

  private compileLora(): Promise<void> {
    this.loraCompiling ??= (async () => {
      const slots = { modules: this.loraModules, rank: this.maxRank };
      const options = { threads: this.threads };
      const [decode, prefill] = await Promise.all([
        CompiledGraph.compile(
          buildBatchedStepGraph(this.config, this.params, {
            rows: this.rows,
            tokens: 1,
            maxLen: this.maxLen,
            lora: slots,
          }),
          options,
        ),
        CompiledGraph.compile(
          buildBatchedStepGraph(this.config, this.params, {
            rows: 1,
            tokens: this.prefillChunk,
            maxLen: this.maxLen,
            lora: slots,
          }),
          options,
        ),
      ]);
      const shapes = llamaParameterShapes(this.config);
      const buffers: LoraBuffers = { a: new Map(), b: new Map() };
      for (const module of this.loraModules) {
        const [out, inp] = shapes.get(`${module}.weight`) as [number, number];
        buffers.a.set(module, new Float32Array(this.rows * inp * this.maxRank));
        buffers.b.set(module, new Float32Array(this.rows * this.maxRank * out));
      }
      this.lora = {
        ...buffers,
        decode: this.bind(decode, this.rows, 1, 0, buffers),
        prefill: this.bind(prefill, 1, this.prefillChunk, 0, buffers),
      };
    })();
    this.loraCompiling.catch(() => {
      this.loraCompiling = undefined;
    });
    return this.loraCompiling;
  }

  async release(): Promise<void> {
    await this.decodePlain.graph.release();
    await this.prefillPlain.graph.release();
    await this.loraCompiling?.catch(() => undefined);
    if (this.lora !== undefined) {
      await this.lora.decode.graph.release();
      await this.lora.prefill.graph.release();
    }
  }
}

interface LoraBuffers {
  a: Map<string, Float32Array>;
  b: Map<string, Float32Array>;
}
