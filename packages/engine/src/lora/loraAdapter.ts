import type { Rng } from "../data/random.ts";
import type { Tensor } from "../graph/graph.ts";
import type { LoraBinding } from "../nn/linear.ts";
import { llamaLinearModules, llamaParameterShapes } from "../nn/llama.ts";
import type { LlamaConfig } from "../nn/llamaConfig.ts";
import { cloneParameters, type ParameterSet } from "../nn/parameters.ts";
import { type LoraConfig, loraScale } from "./loraConfig.ts";

/** PEFT's tensor names: `base_model.model.<module>.lora_A.weight` ([r, in]) and `lora_B` ([out, r]). */
export function loraNames(module: string): { a: string; b: string } {
  return { a: `base_model.model.${module}.lora_A.weight`, b: `base_model.model.${module}.lora_B.weight` };
}

/** Linear modules of a decoder that the adapter targets (matched by their last name part). */
export function loraTargets(config: LlamaConfig, lora: LoraConfig): string[] {
  return llamaLinearModules(config).filter((m) =>
    lora.targetModules.includes(m.slice(m.lastIndexOf(".") + 1)),
  );
}

/** Shapes [out, in] of the targeted base weights. */
function targetShapes(config: LlamaConfig, lora: LoraConfig): Map<string, [number, number]> {
  const shapes = llamaParameterShapes(config);
  return new Map(loraTargets(config, lora).map((m) => [m, shapes.get(`${m}.weight`) as [number, number]]));
}

/**
 * A fresh adapter as PEFT initializes it: A ~ U(−1/√in, 1/√in) (Kaiming-uniform with a = √5), B = 0, so
 * the adapted model starts equal to its base.
 */
export function initLoraParameters(config: LlamaConfig, lora: LoraConfig, rng: Rng): ParameterSet {
  const params: ParameterSet = new Map();
  for (const [module, [out, inp]] of targetShapes(config, lora)) {
    const names = loraNames(module);
    const bound = 1 / Math.sqrt(inp);
    const a = new Float32Array(lora.r * inp);
    for (let i = 0; i < a.length; i++) a[i] = (rng.next() * 2 - 1) * bound;
    params.set(names.a, { shape: [lora.r, inp], data: a });
    params.set(names.b, { shape: [out, lora.r], data: new Float32Array(out * lora.r) });
  }
  return params;
}

/** Expected adapter tensor shapes (to validate a loaded adapter). */
export function loraParameterShapes(config: LlamaConfig, lora: LoraConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [module, [out, inp]] of targetShapes(config, lora)) {
    const names = loraNames(module);
    shapes.set(names.a, [lora.r, inp]);
    shapes.set(names.b, [out, lora.r]);
  }
  return shapes;
}

/** The adapter binding of a module in a graph, given bound adapter tensors (undefined if not targeted). */
export function loraBinder(
  lora: LoraConfig,
  weights: ReadonlyMap<string, Tensor>,
  dropoutMasks?: ReadonlyMap<string, Tensor>,
): (module: string) => LoraBinding | undefined {
  return (module) => {
    const names = loraNames(module);
    const a = weights.get(names.a);
    const b = weights.get(names.b);
    if (!a || !b) return undefined;
    const mask = dropoutMasks?.get(module);
    return { a, b, scale: loraScale(lora), ...(mask ? { dropoutMask: mask } : {}) };
  };
}

/** Merge an adapter into a copy of its base: W ← W + (alpha/r) · B A. */
export function mergeLora(
  config: LlamaConfig,
  base: ParameterSet,
  lora: LoraConfig,
  adapter: ParameterSet,
): ParameterSet {
  const merged = cloneParameters(base);
  const scale = loraScale(lora);
  for (const [module, [out, inp]] of targetShapes(config, lora)) {
    const names = loraNames(module);
    const a = adapter.get(names.a)!.data;
    const b = adapter.get(names.b)!.data;
    const w = merged.get(`${module}.weight`)!.data;
    for (let o = 0; o < out; o++) {
      for (let i = 0; i < inp; i++) {
        let acc = 0;
        for (let k = 0; k < lora.r; k++) acc += b[o * lora.r + k]! * a[k * inp + i]!;
        w[o * inp + i] = w[o * inp + i]! + scale * acc;
      }
    }
  }
  return merged;
}
