import { Graph, type Tensor } from "../graph/graph.ts";
import type { DecoderWeights } from "../nn/llama.ts";
import { lmHead } from "../nn/llama.ts";
import { headDim, type LlamaConfig } from "../nn/llamaConfig.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { rotaryTables } from "../nn/rotary.ts";

/** Names of a batched step's inputs and outputs. */
export const batchedNames = {
  /** Keys of layer `l`, stored transposed: [rows, kvHeads, headDim, maxLen]. */
  keys: (l: number): string => `cache.kt.${l}`,
  /** Values of layer `l`: [rows, kvHeads, maxLen, headDim]. */
  values: (l: number): string => `cache.v.${l}`,
  /** This step's keys of layer `l`: [rows, kvHeads, tokens, headDim] (written into the cache by the caller). */
  newKeys: (l: number): string => `new.k.${l}`,
  newValues: (l: number): string => `new.v.${l}`,
  /** A per-row adapter's down projection of a Linear module: [rows, in, rank]. */
  loraA: (module: string): string => `lora.a.${module}`,
  /** A per-row adapter's up projection (its scale folded in): [rows, rank, out]. */
  loraB: (module: string): string => `lora.b.${module}`,
};

/** Per-row LoRA inputs of a batched step: which Linear modules take an adapter, up to which rank. */
export interface BatchedLoraSlots {
  /** Full module names (`model.layers.0.self_attn.q_proj`). */
  modules: readonly string[];
  rank: number;
}

/**
 * One step of `rows` independent sequences, `tokens` consecutive tokens each (1 for decoding, a chunk of a
 * prompt for prefill): token ids [rows, tokens] starting at `position` [rows] → logits [rows·tokens, vocab]
 * and this step's keys and values. The key-value caches are read-only inputs of fixed capacity `maxLen`; the
 * caller writes the step's new keys and values into them at each row's positions (an in-place write of a few
 * floats, not a pass over the caches). Each query attends to its row's cached positions before `position`
 * and causally to the step's own tokens. Keys are cached transposed ([…, headDim, maxLen]) so the score
 * product reads them as they lie. With `lora`, each row adds its own adapter's low-rank update to the listed
 * modules (zeros for a row without adapter), so rows of different adapters of one base share the step.
 */
export function buildBatchedStepGraph(
  config: LlamaConfig,
  params: ParameterSet,
  options: { rows: number; tokens: number; maxLen: number; lora?: BatchedLoraSlots },
): Graph {
  const { rows, tokens: T, maxLen } = options;
  const g = new Graph(`decode-step-${rows}x${T}${options.lora ? "-lora" : ""}`);
  const bound = new Map([...params].map(([name, p]) => [name, g.input(name, "float32", p.shape)]));
  const w: DecoderWeights = { get: (name) => bound.get(name)!, lora: () => undefined };
  const hd = headDim(config);
  const heads = config.num_attention_heads;
  const kvHeads = config.num_key_value_heads;
  const group = heads / kvHeads;
  const token = g.input("token", "int32", [rows, T]);
  const position = g.input("position", "int32", [rows]);

  const loraModules = new Set(options.lora?.modules ?? []);
  const rank = options.lora?.rank ?? 0;
  /** x [rows·T, in] through a Linear, plus each row's adapter when the module takes one. */
  const project = (x: Tensor, module: string): Tensor => {
    const weight = w.get(`${module}.weight`);
    const y = x.gemm(weight, { transB: true });
    if (!loraModules.has(module)) return y;
    const [out, inp] = weight.shape as [number, number];
    const a = g.input(batchedNames.loraA(module), "float32", [rows, inp, rank]);
    const b = g.input(batchedNames.loraB(module), "float32", [rows, rank, out]);
    const delta = x
      .reshape([rows, T, inp])
      .matmul(a)
      .matmul(b)
      .reshape([rows * T, out]);
    return y.add(delta);
  };

  // Rotary tables long enough for a padded last prefill chunk that runs past maxLen.
  const tables = rotaryTables(maxLen + T, hd, config.rope_theta);
  const offsets = g.constant(
    Array.from({ length: T }, (_, t) => t),
    [1, T],
    "int32",
  );
  const at = position.reshape([rows, 1]).add(offsets); // [rows, T]
  const cos = g
    .constant(tables.cos, [maxLen + T, hd / 2])
    .gather(at)
    .reshape([rows, 1, T, hd / 2]);
  const sin = g
    .constant(tables.sin, [maxLen + T, hd / 2])
    .gather(at)
    .reshape([rows, 1, T, hd / 2]);
  const scale = 1 / Math.sqrt(hd);
  const cosQ = cos.mul(scale);
  const sinQ = sin.mul(scale);
  // Cached positions at or after a row's start are not this row's past (stale or unwritten).
  const cachePositions = g.constant(
    Array.from({ length: maxLen }, (_, i) => i),
    [1, maxLen],
    "int32",
  );
  const cacheBias = g
    .where(cachePositions.less(position.reshape([rows, 1])), 0, -1e9)
    .reshape([rows, 1, 1, maxLen]);
  // Queries are grouped [kvHeads, group·T]: query row i is token i mod T.
  let selfBias: Tensor | undefined;
  if (T > 1) {
    const causal = new Float64Array(group * T * T);
    for (let i = 0; i < group * T; i++) for (let j = (i % T) + 1; j < T; j++) causal[i * T + j] = -1e9;
    selfBias = g.constant(causal, [group * T, T]);
  }

  const split = (x: Tensor, n: number) => x.reshape([rows, T, n, hd]).transpose([0, 2, 1, 3]);
  let x: Tensor = w.get("model.embed_tokens.weight").gather(token.reshape([-1]));
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const h = x.rmsNorm(w.get(`${p}.input_layernorm.weight`), config.rms_norm_eps);
    const q = split(project(h, `${p}.self_attn.q_proj`), heads).rope(cosQ, sinQ);
    const k = split(project(h, `${p}.self_attn.k_proj`), kvHeads).rope(cos, sin);
    const v = split(project(h, `${p}.self_attn.v_proj`), kvHeads);
    g.output(batchedNames.newKeys(l), k);
    g.output(batchedNames.newValues(l), v);
    const keysT = g.input(batchedNames.keys(l), "float32", [rows, kvHeads, hd, maxLen]);
    const values = g.input(batchedNames.values(l), "float32", [rows, kvHeads, maxLen, hd]);
    const qg = q.reshape([rows, kvHeads, group * T, hd]);
    const pastScores = qg.matmul(keysT).add(cacheBias);
    let ownScores = qg.matmul(k.transposeLast());
    if (selfBias) ownScores = ownScores.add(selfBias);
    const probs = g.concat([pastScores, ownScores], 3).softmax(-1);
    const [pastProbs, ownProbs] = probs.split(3, [maxLen, T]);
    const attended = pastProbs!
      .matmul(values)
      .add(ownProbs!.matmul(v))
      .reshape([rows, heads, T, hd])
      .transpose([0, 2, 1, 3])
      .reshape([rows * T, heads * hd]);
    x = x.add(project(attended, `${p}.self_attn.o_proj`));
    const m = x.rmsNorm(w.get(`${p}.post_attention_layernorm.weight`), config.rms_norm_eps);
    const hidden = project(m, `${p}.mlp.gate_proj`)
      .silu()
      .mul(project(m, `${p}.mlp.up_proj`));
    x = x.add(project(hidden, `${p}.mlp.down_proj`));
  }
  g.output("logits", lmHead(config, w, x.rmsNorm(w.get("model.norm.weight"), config.rms_norm_eps)));
  return g;
}
