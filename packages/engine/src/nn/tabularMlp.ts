import type { Rng } from "../data/random.ts";
import type { Tensor } from "../graph/graph.ts";
import { constantParameter, normalParameter, type ParameterSet } from "./parameters.ts";

/** An MLP for tabular data: a classifier (softmax over classes) or a regressor (one output). */
export interface TabularMlpConfig {
  kind: "classifier" | "regressor";
  numFeatures: number;
  hidden: number[];
  /** Classes (classifier) — a regressor has one output. */
  numClasses?: number;
  activation?: "relu" | "gelu";
}

function layerSizes(config: TabularMlpConfig): number[] {
  const out = config.kind === "classifier" ? (config.numClasses ?? 2) : 1;
  return [config.numFeatures, ...config.hidden, out];
}

/** Parameter names and shapes: `layers.{i}.weight` [out, in] and `layers.{i}.bias` [out]. */
export function tabularMlpShapes(config: TabularMlpConfig): Map<string, number[]> {
  const sizes = layerSizes(config);
  const shapes = new Map<string, number[]>();
  for (let i = 0; i + 1 < sizes.length; i++) {
    shapes.set(`layers.${i}.weight`, [sizes[i + 1]!, sizes[i]!]);
    shapes.set(`layers.${i}.bias`, [sizes[i + 1]!]);
  }
  return shapes;
}

/** He-normal weights (He et al. 2015) and zero biases. */
export function initTabularMlp(config: TabularMlpConfig, rng: Rng): ParameterSet {
  const params: ParameterSet = new Map();
  for (const [name, shape] of tabularMlpShapes(config)) {
    if (name.endsWith("bias")) params.set(name, constantParameter(shape, 0));
    else params.set(name, normalParameter(shape, Math.sqrt(2 / shape[1]!), rng));
  }
  return params;
}

/** Features [B, F] → outputs [B, classes] (logits) or [B, 1] (prediction). */
export function tabularMlpForward(
  config: TabularMlpConfig,
  weights: ReadonlyMap<string, Tensor>,
  x: Tensor,
): Tensor {
  const layers = layerSizes(config).length - 1;
  let h = x;
  for (let i = 0; i < layers; i++) {
    h = h.gemm(weights.get(`layers.${i}.weight`)!, { transB: true }).add(weights.get(`layers.${i}.bias`)!);
    if (i + 1 < layers) h = config.activation === "gelu" ? h.gelu() : h.relu();
  }
  return h;
}
