// The engine's package exports only its whole index (which loads ONNX Runtime); the safetensors reader is
// imported from its io folder directly.
import { readSafetensors, tensorToFloat32 } from "@flock/engine/io";

/** A LoRA adapter's weight deltas ΔW = B·A per adapted module, flattened, keyed by module name. */
export type WeightDelta = Map<string, Float64Array>;

const LORA_A = /^(.*)\.lora_A(?:\.[^.]+)?\.weight$/;

/**
 * The weight deltas of a PEFT LoRA adapter (SPEC §4: `adapter_model.safetensors`): for each module with
 * `lora_A` [r, in] and `lora_B` [out, r], ΔW = B·A [out, in]. Comparing ΔW rather than the factors matters:
 * (B·M)(M⁻¹·A) is the same update with different factors. Undefined when the file is not safetensors or
 * holds no LoRA pairs (a full fine-tune's delta needs the base weights, which the coordinator does not load).
 */
export function loraWeightDelta(bytes: Uint8Array): WeightDelta | undefined {
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(bytes);
  } catch {
    return undefined;
  }
  const deltas: WeightDelta = new Map();
  for (const [name, a] of Object.entries(file.tensors)) {
    const match = LORA_A.exec(name);
    if (match === null) continue;
    const b = file.tensors[name.replace(".lora_A", ".lora_B")];
    if (b === undefined || a.shape.length !== 2 || b.shape.length !== 2 || b.shape[1] !== a.shape[0])
      continue;
    const [rank, inputs] = a.shape as [number, number];
    const outputs = b.shape[0]!;
    const av = tensorToFloat32(a);
    const bv = tensorToFloat32(b);
    const delta = new Float64Array(outputs * inputs);
    for (let o = 0; o < outputs; o++) {
      for (let r = 0; r < rank; r++) {
        const bor = bv[o * rank + r]!;
        if (bor === 0) continue;
        for (let i = 0; i < inputs; i++) delta[o * inputs + i]! += bor * av[r * inputs + i]!;
      }
    }
    deltas.set(match[1]!, delta);
  }
  return deltas.size === 0 ? undefined : deltas;
}

/**
 * Cosine similarity of two adapters' concatenated weight deltas over the modules both adapt (modules only
 * one adapts count as zeros on the other side, lowering the similarity).
 */
export function deltaCosine(x: WeightDelta, y: WeightDelta): number {
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (const [module, dx] of x) {
    for (const v of dx) xx += v * v;
    const dy = y.get(module);
    if (dy === undefined || dy.length !== dx.length) continue;
    for (let i = 0; i < dx.length; i++) dot += dx[i]! * dy[i]!;
  }
  for (const dy of y.values()) for (const v of dy) yy += v * v;
  if (xx === 0 || yy === 0) return 0;
  return dot / Math.sqrt(xx * yy);
}

/** SPEC §2.1: a later submission this similar to an earlier one is a copy. */
export const NEAR_DUPLICATE_COSINE = 0.995;
