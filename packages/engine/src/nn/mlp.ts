import type { Tensor } from "../graph/graph.ts";
import { type LoraBinding, linear } from "./linear.ts";

/** Weights of a SwiGLU MLP (Hugging Face gate/up/down_proj). */
export interface MlpWeights {
  gate: Tensor;
  up: Tensor;
  down: Tensor;
  lora: Partial<Record<"gate" | "up" | "down", LoraBinding>>;
}

/** SwiGLU (Shazeer 2020): down(silu(gate(x)) ⊙ up(x)). */
export function swigluMlp(x: Tensor, w: MlpWeights): Tensor {
  const hidden = linear(x, w.gate, w.lora.gate)
    .silu()
    .mul(linear(x, w.up, w.lora.up));
  return linear(hidden, w.down, w.lora.down);
}
