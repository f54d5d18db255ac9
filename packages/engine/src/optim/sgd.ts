import type { Tensor } from "../graph/graph.ts";
import type { Optimizer, SgdOptions, StepScalars } from "./optimizer.ts";

/** SGD with optional (heavy-ball) momentum and decoupled weight decay, as graph code. */
export function sgd(options: Omit<SgdOptions, "kind"> = {}): Optimizer {
  const momentum = options.momentum ?? 0;
  const weightDecay = options.weightDecay ?? 0;
  return {
    options: { kind: "sgd", momentum, weightDecay },
    slots: momentum > 0 ? ["momentum"] : [],
    scalarNames: ["optim.lr", "optim.decay"],
    scalars(_step: number, lr: number): StepScalars {
      return { "optim.lr": lr, "optim.decay": 1 - lr * weightDecay };
    },
    update(
      p: Tensor,
      g: Tensor,
      gradScale: Tensor,
      state: readonly Tensor[],
      s: Readonly<Record<string, Tensor>>,
      decay: boolean,
    ) {
      // buf ← μ·buf + ĝ ;  p ← p·(1 − lr·λ) − lr·buf  with ĝ = gradScale · g
      const scaled = g.mul(gradScale);
      const direction = momentum > 0 ? state[0]!.mul(momentum).add(scaled) : scaled;
      const kept = decay && weightDecay > 0 ? p.mul(s["optim.decay"]!) : p;
      return { param: kept.sub(direction.mul(s["optim.lr"]!)), state: momentum > 0 ? [direction] : [] };
    },
  };
}
