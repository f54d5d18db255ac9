import type { Graph, Tensor } from "../graph/graph.ts";

/** AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay. */
export interface AdamWOptions {
  kind: "adamw";
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** SGD with optional momentum and decoupled weight decay. */
export interface SgdOptions {
  kind: "sgd";
  momentum?: number;
  weightDecay?: number;
}

export type OptimizerOptions = AdamWOptions | SgdOptions;

/** Per-step scalars an update reads, fed as graph inputs so one compiled graph serves every step. */
export type StepScalars = Record<string, number>;

/**
 * An optimizer written as graph code: `update` adds the nodes computing a parameter's new value and
 * state from its gradient, so the whole training step (forward, backward, update) is one ONNX graph.
 */
export interface Optimizer {
  readonly options: OptimizerOptions;
  /** Names of per-parameter state slots (`m`, `v` for AdamW). */
  readonly slots: readonly string[];
  /** Names of the scalar inputs `update` reads. */
  readonly scalarNames: readonly string[];
  /** Values of those scalars at a 1-based step with learning rate lr. */
  scalars(step: number, lr: number): StepScalars;
  /**
   * New parameter and state from the raw gradient `g` and the scalar `gradScale` (clipping, averaging);
   * `decay` says whether weight decay applies (matrices, not norms).
   */
  update(
    p: Tensor,
    g: Tensor,
    gradScale: Tensor,
    state: readonly Tensor[],
    scalars: Readonly<Record<string, Tensor>>,
    decay: boolean,
  ): { param: Tensor; state: Tensor[] };
}

/** Declare an optimizer's scalar inputs in a graph. */
export function declareScalars(graph: Graph, optimizer: Optimizer): Record<string, Tensor> {
  return Object.fromEntries(optimizer.scalarNames.map((name) => [name, graph.input(name, "float32", [])]));
}
