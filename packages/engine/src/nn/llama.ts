import type { Rng } from "../data/random.ts";
import type { Dim } from "../graph/dim.ts";
import type { Graph, Tensor } from "../graph/graph.ts";
import { type AttentionShape, causalPaddingBias, selfAttention } from "./attention.ts";
import type { LoraBinding } from "./linear.ts";
import { headDim, type LlamaConfig } from "./llamaConfig.ts";
import { swigluMlp } from "./mlp.ts";
import { constantParameter, normalParameter, type ParameterSet } from "./parameters.ts";
import { rotaryTables } from "./rotary.ts";

const ATTENTION_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj"] as const;
const MLP_MODULES = ["gate_proj", "up_proj", "down_proj"] as const;

/** Hugging Face parameter names and shapes of a Llama decoder (Linear weights are [out, in]). */
export function llamaParameterShapes(config: LlamaConfig): Map<string, number[]> {
  const d = config.hidden_size;
  const kv = config.num_key_value_heads * headDim(config);
  const shapes = new Map<string, number[]>();
  shapes.set("model.embed_tokens.weight", [config.vocab_size, d]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.self_attn.q_proj.weight`, [d, d]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [kv, d]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [kv, d]);
    shapes.set(`${p}.self_attn.o_proj.weight`, [d, d]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [config.intermediate_size, d]);
    shapes.set(`${p}.mlp.up_proj.weight`, [config.intermediate_size, d]);
    shapes.set(`${p}.mlp.down_proj.weight`, [d, config.intermediate_size]);
    shapes.set(`${p}.input_layernorm.weight`, [d]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [d]);
  }
  shapes.set("model.norm.weight", [d]);
  if (!config.tie_word_embeddings) shapes.set("lm_head.weight", [config.vocab_size, d]);
  return shapes;
}

/** Every Linear module name an adapter can target, e.g. `model.layers.0.self_attn.q_proj`. */
export function llamaLinearModules(config: LlamaConfig): string[] {
  const modules: string[] = [];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    for (const m of ATTENTION_MODULES) modules.push(`model.layers.${i}.self_attn.${m}`);
    for (const m of MLP_MODULES) modules.push(`model.layers.${i}.mlp.${m}`);
  }
  return modules;
}

/**
 * Fresh weights: normal(0, initializer_range) for matrices, ones for norms; the projections that write
 * into the residual stream (o_proj, down_proj) are scaled by 1/√(2·layers) as in GPT-2.
 */
export function initLlamaParameters(config: LlamaConfig, rng: Rng): ParameterSet {
  const params: ParameterSet = new Map();
  const std = config.initializer_range;
  const residualStd = std / Math.sqrt(2 * config.num_hidden_layers);
  for (const [name, shape] of llamaParameterShapes(config)) {
    if (name.endsWith("norm.weight")) params.set(name, constantParameter(shape, 1));
    else if (name.includes("o_proj") || name.includes("down_proj"))
      params.set(name, normalParameter(shape, residualStd, rng));
    else params.set(name, normalParameter(shape, std, rng));
  }
  return params;
}

/** How a decoder graph reads its weights: base weights by name, and an adapter per Linear module if any. */
export interface DecoderWeights {
  get(name: string): Tensor;
  lora(module: string): LoraBinding | undefined;
}

/** Declare every parameter as a float32 graph input named by its Hugging Face name. */
export function bindParameterInputs(
  graph: Graph,
  shapes: ReadonlyMap<string, readonly number[]>,
): Map<string, Tensor> {
  return new Map([...shapes].map(([name, shape]) => [name, graph.input(name, "float32", shape)]));
}

/** Transformer blocks over rows [B·T, D] of token states; returns the final normed rows. */
export function llamaBlocks(
  config: LlamaConfig,
  w: DecoderWeights,
  x0: Tensor,
  s: AttentionShape,
  cos: Tensor,
  sin: Tensor,
  bias: Tensor,
): Tensor {
  let x = x0;
  const eps = config.rms_norm_eps;
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    const attnWeights = {
      q: w.get(`${p}.self_attn.q_proj.weight`),
      k: w.get(`${p}.self_attn.k_proj.weight`),
      v: w.get(`${p}.self_attn.v_proj.weight`),
      o: w.get(`${p}.self_attn.o_proj.weight`),
      lora: {
        q: w.lora(`${p}.self_attn.q_proj`),
        k: w.lora(`${p}.self_attn.k_proj`),
        v: w.lora(`${p}.self_attn.v_proj`),
        o: w.lora(`${p}.self_attn.o_proj`),
      },
    };
    const h = x.rmsNorm(w.get(`${p}.input_layernorm.weight`), eps);
    x = x.add(selfAttention(h, attnWeights, s, cos, sin, bias));
    const mlpWeights = {
      gate: w.get(`${p}.mlp.gate_proj.weight`),
      up: w.get(`${p}.mlp.up_proj.weight`),
      down: w.get(`${p}.mlp.down_proj.weight`),
      lora: {
        gate: w.lora(`${p}.mlp.gate_proj`),
        up: w.lora(`${p}.mlp.up_proj`),
        down: w.lora(`${p}.mlp.down_proj`),
      },
    };
    x = x.add(swigluMlp(x.rmsNorm(w.get(`${p}.post_attention_layernorm.weight`), eps), mlpWeights));
  }
  return x.rmsNorm(w.get("model.norm.weight"), eps);
}

/** Output projection rows [N, D] → logits [N, V] (tied to the embedding when configured). */
export function lmHead(config: LlamaConfig, w: DecoderWeights, hidden: Tensor): Tensor {
  const head = config.tie_word_embeddings ? w.get("model.embed_tokens.weight") : w.get("lm_head.weight");
  return hidden.gemm(head, { transB: true });
}

/** Shape info of an attention call for this config. */
export function attentionShape(config: LlamaConfig, batch: Dim, seq: number): AttentionShape {
  return {
    batch,
    seq,
    heads: config.num_attention_heads,
    kvHeads: config.num_key_value_heads,
    headDim: headDim(config),
  };
}

/**
 * The decoder's forward pass: token ids [B, T] (int32) and attention mask [B, T] (1 = real token) →
 * logits rows [B·T, V].
 */
export function llamaForward(
  config: LlamaConfig,
  w: DecoderWeights,
  ids: Tensor,
  attentionMask: Tensor,
): Tensor {
  const batch = ids.shape[0]!;
  const seq = ids.dim(1);
  const g = ids.graph;
  const { cos, sin } = rotaryTables(seq, headDim(config), config.rope_theta);
  const half = headDim(config) / 2;
  const embed = w.get("model.embed_tokens.weight");
  const cosT = g.constant(cos, [seq, half], embed.dtype);
  const sinT = g.constant(sin, [seq, half], embed.dtype);
  const x = embed.gather(ids.reshape([-1]));
  const hidden = llamaBlocks(
    config,
    w,
    x,
    attentionShape(config, batch, seq),
    cosT,
    sinT,
    causalPaddingBias(attentionMask, seq),
  );
  return lmHead(config, w, hidden);
}
