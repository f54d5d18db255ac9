import { writeSafetensors } from "@flock/engine/io";

/** A deterministic pseudo-random stream (mulberry32) so the adapters are reproducible. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** One module's LoRA factors. */
export interface Lora {
  a: Float32Array; // [r, in]
  b: Float32Array; // [out, r]
}

const R = 2;
const IN = 8;
const OUT = 8;
const MODULES = ["base_model.model.layers.0.self_attn.q_proj", "base_model.model.layers.0.self_attn.v_proj"];

/** Random factors for two modules of a tiny model. */
export function randomLora(seed: number): Lora[] {
  const next = random(seed);
  return MODULES.map(() => ({
    a: Float32Array.from({ length: R * IN }, next),
    b: Float32Array.from({ length: OUT * R }, next),
  }));
}

/** The same update with other factors: B·M and M⁻¹·A for M = [[2, 1], [0, 0.5]], plus optional noise. */
export function reparametrize(loras: Lora[], noise = 0, seed = 99): Lora[] {
  const next = random(seed);
  return loras.map(({ a, b }) => {
    const a2 = new Float32Array(R * IN);
    const b2 = new Float32Array(OUT * R);
    // M⁻¹ = [[0.5, -1], [0, 2]]
    for (let i = 0; i < IN; i++) {
      a2[i] = 0.5 * a[i]! - 1 * a[IN + i]! + noise * next();
      a2[IN + i] = 2 * a[IN + i]! + noise * next();
    }
    for (let o = 0; o < OUT; o++) {
      b2[o * R] = 2 * b[o * R]!;
      b2[o * R + 1] = 1 * b[o * R]! + 0.5 * b[o * R + 1]!;
    }
    return { a: a2, b: b2 };
  });
}

/** A PEFT-style adapter_model.safetensors holding the factors. */
export function adapterFile(loras: Lora[]): Uint8Array {
  const tensors: Parameters<typeof writeSafetensors>[0] = {};
  loras.forEach(({ a, b }, i) => {
    tensors[`${MODULES[i]}.lora_A.weight`] = { dtype: "F32", shape: [R, IN], data: a };
    tensors[`${MODULES[i]}.lora_B.weight`] = { dtype: "F32", shape: [OUT, R], data: b };
  });
  return writeSafetensors(tensors, { format: "pt" });
}
