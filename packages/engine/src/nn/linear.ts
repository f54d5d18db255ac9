import type { Tensor } from "../graph/graph.ts";

/** A low-rank adapter on one Linear (Hu et al. 2021): y += scale · (x ⊙ mask) Aᵀ Bᵀ. */
export interface LoraBinding {
  /** [rank, in] */
  a: Tensor;
  /** [out, rank] */
  b: Tensor;
  /** alpha / rank */
  scale: number;
  /** Inverted-dropout mask on the adapter's input ([rows, in], values 0 or 1/(1−p)), when dropout is on. */
  dropoutMask?: Tensor;
}

/** Linear layer without bias on rows of x: x Wᵀ with W stored [out, in] (PyTorch / Hugging Face layout). */
export function linear(x: Tensor, weight: Tensor, lora?: LoraBinding): Tensor {
  return withLora(x.gemm(weight, { transB: true }), x, lora);
}

/** Add an adapter's output `scale · (x ⊙ mask) Aᵀ Bᵀ` to a Linear's output y (unchanged without adapter). */
export function withLora(y: Tensor, x: Tensor, lora: LoraBinding | undefined): Tensor {
  if (!lora) return y;
  const input = lora.dropoutMask ? x.mul(lora.dropoutMask) : x;
  const delta = input.gemm(lora.a, { transB: true }).gemm(lora.b, { transB: true });
  return y.add(delta.mul(lora.scale));
}
