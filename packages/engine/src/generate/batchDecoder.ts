import type { LlamaConfig } from "../nn/llamaConfig.ts";
import { headDim } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { type ort, ortTensor } from "../runtime/ortTypes.ts";
import { buildBatchedDecodeGraph, cacheName, nextCacheName } from "./decodeGraph.ts";

/**
 * `rows` independent sequences decoded one token each per step by one compiled graph (continuous batching):
 * each row has its own slice of the key-value caches and its own position, so a sequence can start in a free
 * row while the others continue. A row's cache needs no clearing: a new sequence overwrites positions from 0,
 * and the keys after its position are masked.
 */
export class BatchDecoder {
  readonly config: LlamaConfig;
  readonly rows: number;
  readonly maxLen: number;
  private readonly graph: CompiledGraph;
  private readonly feeds: [Record<string, ort.Tensor>, Record<string, ort.Tensor>];
  private readonly fetches: [Record<string, ort.Tensor>, Record<string, ort.Tensor>];
  private readonly tokens: Int32Array;
  private readonly positions: Int32Array;
  private readonly logits: Float32Array;
  private parity: 0 | 1 = 0;

  private constructor(
    config: LlamaConfig,
    params: ParameterSet,
    rows: number,
    maxLen: number,
    graph: CompiledGraph,
  ) {
    this.config = config;
    this.rows = rows;
    this.maxLen = maxLen;
    this.graph = graph;
    this.tokens = new Int32Array(rows);
    this.positions = new Int32Array(rows);
    this.logits = new Float32Array(rows * config.vocab_size);
    const cacheShape = [rows, config.num_key_value_heads, maxLen, headDim(config)];
    const size = cacheShape.reduce((a, b) => a * b, 1);
    const layers = config.num_hidden_layers;
    const caches = [0, 1].map(() => Array.from({ length: 2 * layers }, () => new Float32Array(size)));
    const weights = Object.fromEntries(
      [...params].map(([name, p]) => [name, ortTensor("float32", p.data, p.shape)]),
    );
    const make = (parity: 0 | 1) => {
      const other = parity === 0 ? 1 : 0;
      const feeds: Record<string, ort.Tensor> = {
        token: ortTensor("int32", this.tokens, [rows, 1]),
        position: ortTensor("int32", this.positions, [rows]),
      };
      const fetches: Record<string, ort.Tensor> = {
        logits: ortTensor("float32", this.logits, [rows, config.vocab_size]),
      };
      for (let l = 0; l < layers; l++) {
        feeds[cacheName("k", l)] = ortTensor("float32", caches[parity]![2 * l]!, cacheShape);
        feeds[cacheName("v", l)] = ortTensor("float32", caches[parity]![2 * l + 1]!, cacheShape);
        fetches[nextCacheName("k", l)] = ortTensor("float32", caches[other]![2 * l]!, cacheShape);
        fetches[nextCacheName("v", l)] = ortTensor("float32", caches[other]![2 * l + 1]!, cacheShape);
      }
      const all = { ...weights, ...feeds };
      return { feeds: Object.fromEntries(graph.model.inputs.map((i) => [i.name, all[i.name]!])), fetches };
    };
    const pair = [make(0), make(1)];
    this.feeds = [pair[0]!.feeds, pair[1]!.feeds];
    this.fetches = [pair[0]!.fetches, pair[1]!.fetches];
  }

  /** Compile the batched decode step for `rows` sequences of up to `maxLen` tokens each. */
  static async create(
    config: LlamaConfig,
    params: ParameterSet,
    options: { rows: number; maxLen?: number; threads?: number },
  ): Promise<BatchDecoder> {
    const maxLen = options.maxLen ?? config.max_position_embeddings;
    const graph = await CompiledGraph.compile(buildBatchedDecodeGraph(config, params, options.rows, maxLen), {
      threads: options.threads ?? 1,
    });
    return new BatchDecoder(config, params, options.rows, maxLen, graph);
  }

  /**
   * Feed `tokens[r]` at `positions[r]` to every row and return the next-token logits [rows × vocab] (a view,
   * valid until the next step). A row with nothing to decode may be fed anything at position 0.
   */
  async step(tokens: ArrayLike<number>, positions: ArrayLike<number>): Promise<Float32Array> {
    this.tokens.set(tokens);
    this.positions.set(positions);
    await this.graph.run(this.feeds[this.parity], this.fetches[this.parity]);
    this.parity = this.parity === 0 ? 1 : 0;
    return this.logits;
  }

  async release(): Promise<void> {
    await this.graph.release();
  }
}
