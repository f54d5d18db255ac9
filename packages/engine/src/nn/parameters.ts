import { EngineError } from "@flock/core";
import type { Rng } from "../data/random.ts";
import type { TensorData } from "../io/tensor.ts";

/** One float32 parameter tensor held on the host. */
export interface Parameter {
  shape: number[];
  data: Float32Array;
}

/** Named parameters, by Hugging Face name (`model.layers.0.self_attn.q_proj.weight`). */
export type ParameterSet = Map<string, Parameter>;

/** Element count of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Normal(0, std²) initialization. */
export function normalParameter(shape: number[], std: number, rng: Rng): Parameter {
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.nextNormal() * std;
  return { shape, data };
}

export function constantParameter(shape: number[], value: number): Parameter {
  return { shape, data: new Float32Array(numel(shape)).fill(value) };
}

/** Total number of scalars in a parameter set. */
export function countParameters(params: ParameterSet): number {
  let n = 0;
  for (const p of params.values()) n += p.data.length;
  return n;
}

/** A deep copy (so a trained copy does not alias the base weights). */
export function cloneParameters(params: ParameterSet): ParameterSet {
  return new Map(
    [...params].map(([name, p]) => [name, { shape: [...p.shape], data: Float32Array.from(p.data) }]),
  );
}

/** Parameters as safetensors tensors (F32). */
export function parametersToTensors(params: ParameterSet): Record<string, TensorData> {
  return Object.fromEntries(
    [...params].map(([name, p]) => [name, { dtype: "F32", shape: [...p.shape], data: p.data }]),
  );
}

/** Parameters from safetensors tensors, checking names and shapes against the expected set. */
export function parametersFromTensors(
  tensors: Record<string, TensorData>,
  expected: ReadonlyMap<string, readonly number[]>,
): ParameterSet {
  const params: ParameterSet = new Map();
  for (const [name, shape] of expected) {
    const t = tensors[name];
    if (!t) {
      throw new EngineError("WEIGHTS_MISSING_TENSOR", `weights file has no tensor ${name}`, {
        hint: "check that the weights match the model config (layer count, names)",
      });
    }
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new EngineError(
        "WEIGHTS_SHAPE_MISMATCH",
        `tensor ${name} has shape [${t.shape}] but the model expects [${shape}]`,
        { hint: "check that the weights match the model config (sizes)" },
      );
    }
    if (t.dtype !== "F32" && t.dtype !== "F64") {
      throw new EngineError("WEIGHTS_DTYPE", `tensor ${name} is ${t.dtype}; the engine loads F32 weights`, {
        hint: "convert the weights to float32",
      });
    }
    params.set(name, { shape: [...shape], data: Float32Array.from(t.data as Float32Array) });
  }
  return params;
}
