import { gradients } from "../autodiff/gradients.ts";
import { Graph, type Tensor } from "../graph/graph.ts";
import { clipByGlobalNorm } from "../optim/clip.ts";
import { declareScalars, type Optimizer } from "../optim/optimizer.ts";
import { anchorName, PROXIMAL_MU, proximalTerm } from "./proximal.ts";
import type { TrainingTask } from "./trainingTask.ts";

/** Graph input/output names of a parameter's state slot and of next values. */
export const slotName = (slot: string, param: string): string => `${slot}/${param}`;
export const nextName = (name: string): string => `next/${name}`;
export const accumulatorName = (param: string): string => `acc/${param}`;

export interface StepGraphOptions {
  optimizer: Optimizer;
  clipNorm?: number;
  /** "fused": forward + backward + update; "accumulate": add gradients to accumulators; "apply": update from accumulators. */
  mode: "fused" | "accumulate" | "apply";
  /** Micro-batches per update (the apply graph averages accumulated gradients over them). */
  accumulation?: number;
  /**
   * Minimize loss + μ/2·‖w − w_anchor‖² (FedProx): adds one `anchor/<name>` input per trainable weight and
   * the scalar input `proximal.mu`. The `loss` output stays the task's loss, without the term.
   */
  proximal?: boolean;
}

function bindWeights(graph: Graph, task: TrainingTask<unknown>): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const [name, p] of task.trainable) weights.set(name, graph.input(name, "float32", p.shape));
  for (const [name, p] of task.frozen) weights.set(name, graph.input(name, "float32", p.shape));
  return weights;
}

function applyUpdate(
  graph: Graph,
  task: TrainingTask<unknown>,
  weights: ReadonlyMap<string, Tensor>,
  grads: readonly Tensor[],
  gradMultiplier: number,
  options: StepGraphOptions,
): void {
  const names = [...task.trainable.keys()];
  const scalars = declareScalars(graph, options.optimizer);
  const clipped = clipByGlobalNorm(grads, options.clipNorm, gradMultiplier);
  graph.output("gradNorm", clipped.norm);
  names.forEach((name, i) => {
    const p = weights.get(name)!;
    const state = options.optimizer.slots.map((slot) =>
      graph.input(slotName(slot, name), "float32", p.shape),
    );
    const decay = task.decays ? task.decays(name) : p.rank >= 2;
    const next = options.optimizer.update(p, grads[i]!, clipped.scale, state, scalars, decay);
    graph.output(nextName(name), next.param);
    options.optimizer.slots.forEach((slot, k) => {
      graph.output(nextName(slotName(slot, name)), next.state[k]!);
    });
  });
}

/**
 * The graph of one training step, compiled to one ONNX model: loss, reverse-mode gradients and the
 * optimizer update (fused), or the two halves used for gradient accumulation.
 */
export function buildStepGraph(task: TrainingTask<unknown>, options: StepGraphOptions): Graph {
  const graph = new Graph(`${task.name}.${options.mode}`);
  const weights = bindWeights(graph, task);
  const names = [...task.trainable.keys()];
  if (options.mode === "apply") {
    const k = options.accumulation ?? 1;
    // Accumulated sums are averaged over the k micro-batches through the scalar gradient multiplier.
    const sums = names.map((name) =>
      graph.input(accumulatorName(name), "float32", task.trainable.get(name)!.shape),
    );
    applyUpdate(graph, task, weights, sums, 1 / k, options);
    return graph;
  }
  const data = Object.fromEntries(
    task.dataInputs.map((d) => [d.name, graph.input(d.name, d.dtype, d.shape)]),
  );
  const { loss } = task.buildLoss(weights, data);
  graph.output("loss", loss);
  const trainable = names.map((name) => weights.get(name)!);
  const objective = options.proximal
    ? loss.add(
        proximalTerm(
          trainable,
          names.map((name) => graph.input(anchorName(name), "float32", task.trainable.get(name)!.shape)),
          graph.input(PROXIMAL_MU, "float32", []),
        ),
      )
    : loss;
  const grads = gradients(objective, trainable);
  if (options.mode === "fused") {
    applyUpdate(graph, task, weights, grads, 1, options);
  } else {
    names.forEach((name, i) => {
      const acc = graph.input(accumulatorName(name), "float32", task.trainable.get(name)!.shape);
      graph.output(nextName(accumulatorName(name)), acc.add(grads[i]!));
    });
  }
  return graph;
}
