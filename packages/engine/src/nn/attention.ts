import type { Dim } from "../graph/dim.ts";
import type { Tensor } from "../graph/graph.ts";
import { type LoraBinding, linear } from "./linear.ts";

/** Sizes of one attention layer. */
export interface AttentionShape {
  batch: Dim;
  /** Query positions in this call. */
  seq: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

/** Weights of one attention layer (Hugging Face names q/k/v/o_proj), with optional adapters. */
export interface AttentionWeights {
  q: Tensor;
  k: Tensor;
  v: Tensor;
  o: Tensor;
  lora: Partial<Record<"q" | "k" | "v" | "o", LoraBinding>>;
}

/** [N, heads·hd] rows → [batch, heads, seq, hd]. */
function splitHeads(x: Tensor, s: AttentionShape, heads: number): Tensor {
  return x.reshape([s.batch, s.seq, heads, s.headDim]).transpose([0, 2, 1, 3]);
}

/** Queries, keys and values of a block of positions, rotated by RoPE; q is pre-scaled by 1/√hd. */
export function projectQkv(
  x: Tensor,
  w: AttentionWeights,
  s: AttentionShape,
  cos: Tensor,
  sin: Tensor,
): { q: Tensor; k: Tensor; v: Tensor } {
  // The 1/√hd score scale is folded into q's rotary tables (a tiny constant, not a pass over q).
  const scale = 1 / Math.sqrt(s.headDim);
  const q = splitHeads(linear(x, w.q, w.lora.q), s, s.heads).rope(cos.mul(scale), sin.mul(scale));
  const k = splitHeads(linear(x, w.k, w.lora.k), s, s.kvHeads).rope(cos, sin);
  const v = splitHeads(linear(x, w.v, w.lora.v), s, s.kvHeads);
  return { q, k, v };
}

/**
 * softmax(q kᵀ + bias) v for q [B, H, Tq, hd] and k, v [B, Hkv, Tk, hd]; `bias` is additive (0 or −1e9),
 * broadcastable to [B, 1, Tq, Tk]. Grouped-query attention shares each key-value head among H/Hkv query
 * heads by broadcasting in MatMul (no copies). Returns rows [B·Tq, H·hd].
 */
export function attend(q: Tensor, k: Tensor, v: Tensor, bias: Tensor, s: AttentionShape): Tensor {
  const group = s.heads / s.kvHeads;
  const tk = k.dim(2);
  let out: Tensor;
  if (group === 1) {
    const scores = q.matmul(k.transposeLast()).add(bias);
    out = scores.softmax(-1).matmul(v);
  } else {
    const q5 = q.reshape([s.batch, s.kvHeads, group, s.seq, s.headDim]);
    const k5 = k.reshape([s.batch, s.kvHeads, 1, tk, s.headDim]);
    const v5 = v.reshape([s.batch, s.kvHeads, 1, tk, s.headDim]);
    const bias5 = bias.reshape([bias.shape[0]!, 1, 1, s.seq, tk]);
    const scores = q5.matmul(k5.transposeLast()).add(bias5);
    out = scores.softmax(-1).matmul(v5).reshape([s.batch, s.heads, s.seq, s.headDim]);
  }
  return out.transpose([0, 2, 1, 3]).reshape([-1, s.heads * s.headDim]);
}

/** Causal self-attention over a block of positions with a padding bias; rows in, rows out. */
export function selfAttention(
  x: Tensor,
  w: AttentionWeights,
  s: AttentionShape,
  cos: Tensor,
  sin: Tensor,
  bias: Tensor,
): Tensor {
  const { q, k, v } = projectQkv(x, w, s, cos, sin);
  return linear(attend(q, k, v, bias, s), w.o, w.lora.o);
}

/**
 * Additive attention bias [B, 1, T, T]: −1e9 above the diagonal (causal) and on padded keys
 * (`attentionMask` [B, T], 1 = real token). A large finite value keeps fully padded rows finite.
 */
export function causalPaddingBias(attentionMask: Tensor, seq: number): Tensor {
  const g = attentionMask.graph;
  const causal = new Float64Array(seq * seq);
  for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) causal[i * seq + j] = -1e9;
  const padding = attentionMask.sub(1).mul(1e9).reshape([attentionMask.shape[0]!, 1, 1, seq]);
  return padding.add(g.constant(causal, [seq, seq], attentionMask.dtype));
}
