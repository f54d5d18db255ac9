import { Graph, type Tensor } from "../graph/graph.ts";
import { attend, projectQkv } from "../nn/attention.ts";
import { linear } from "../nn/linear.ts";
import { attentionShape, type DecoderWeights, lmHead } from "../nn/llama.ts";
import { headDim, type LlamaConfig } from "../nn/llamaConfig.ts";
import { swigluMlp } from "../nn/mlp.ts";
import type { ParameterSet } from "../nn/parameters.ts";
import { rotaryTables } from "../nn/rotary.ts";

/** Names of the KV-cache inputs and outputs of a decode step. */
export const cacheName = (kind: "k" | "v", layer: number): string => `cache.${kind}.${layer}`;
export const nextCacheName = (kind: "k" | "v", layer: number): string => `next.cache.${kind}.${layer}`;

/**
 * One decoding step with a key-value cache of fixed capacity `maxLen`: token ids [B, 1] at `position`
 * ([1], int32) → logits [B, V] and the caches with this position's keys and values written in. The cache
 * has a fixed shape so one compiled graph serves every position; keys after `position` are masked out.
 */
export function buildDecodeGraph(
  config: LlamaConfig,
  params: ParameterSet,
  batch: number,
  maxLen: number,
): Graph {
  return decodeGraph(config, params, batch, maxLen);
}

function decodeGraph(config: LlamaConfig, params: ParameterSet, batch: number, maxLen: number): Graph {
  const g = new Graph("decode");
  const bound = new Map([...params].map(([name, p]) => [name, g.input(name, "float32", p.shape)]));
  const w: DecoderWeights = { get: (name) => bound.get(name)!, lora: () => undefined };
  const hd = headDim(config);
  const kvHeads = config.num_key_value_heads;
  const token = g.input("token", "int32", [batch, 1]);
  const position = g.input("position", "int32", [1]);

  const tables = rotaryTables(maxLen, hd, config.rope_theta);
  const cos = g.constant(tables.cos, [maxLen, hd / 2]).gather(position);
  const sin = g.constant(tables.sin, [maxLen, hd / 2]).gather(position);
  const positions = g.constant(
    Array.from({ length: maxLen }, (_, i) => i),
    [maxLen],
    "int32",
  );
  const at = position;
  // Write slot: 1 at the position, else 0 (broadcast over heads and head dims).
  const slot = g.where(positions.equal(at), 1, 0).reshape([maxLen, 1]);
  const keep = slot.neg().add(1);
  // Keys after the current position do not exist yet.
  const bias = g.where(positions.greater(at), -1e9, 0).reshape([1, 1, 1, maxLen]);

  const s = attentionShape(config, batch, 1);
  let x: Tensor = w.get("model.embed_tokens.weight").gather(token.reshape([-1]));
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    const attn = {
      q: w.get(`${p}.self_attn.q_proj.weight`),
      k: w.get(`${p}.self_attn.k_proj.weight`),
      v: w.get(`${p}.self_attn.v_proj.weight`),
      o: w.get(`${p}.self_attn.o_proj.weight`),
      lora: {},
    };
    const h = x.rmsNorm(w.get(`${p}.input_layernorm.weight`), config.rms_norm_eps);
    const { q, k, v } = projectQkv(h, attn, s, cos, sin);
    const cacheK = g.input(cacheName("k", i), "float32", [batch, kvHeads, maxLen, hd]);
    const cacheV = g.input(cacheName("v", i), "float32", [batch, kvHeads, maxLen, hd]);
    const keys = cacheK.mul(keep).add(k.mul(slot));
    const values = cacheV.mul(keep).add(v.mul(slot));
    g.output(nextCacheName("k", i), keys);
    g.output(nextCacheName("v", i), values);
    x = x.add(linear(attend(q, keys, values, bias, s), attn.o));
    const mlp = {
      gate: w.get(`${p}.mlp.gate_proj.weight`),
      up: w.get(`${p}.mlp.up_proj.weight`),
      down: w.get(`${p}.mlp.down_proj.weight`),
      lora: {},
    };
    x = x.add(swigluMlp(x.rmsNorm(w.get(`${p}.post_attention_layernorm.weight`), config.rms_norm_eps), mlp));
  }
  g.output("logits", lmHead(config, w, x.rmsNorm(w.get("model.norm.weight"), config.rms_norm_eps)));
  return g;
}
