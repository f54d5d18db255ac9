import type { Tensor } from "../graph/graph.ts";
import type { AdamWOptions, Optimizer, StepScalars } from "./optimizer.ts";

/**
 * AdamW (Loshchilov & Hutter 2019) as graph code. Bias correction and the gradient scale are folded into
 * scalars so each parameter costs the fewest passes over memory.
 */
export function adamw(options: Omit<AdamWOptions, "kind"> = {}): Optimizer {
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const eps = options.eps ?? 1e-8;
  const weightDecay = options.weightDecay ?? 0.0;
  return {
    options: { kind: "adamw", beta1, beta2, eps, weightDecay },
    slots: ["m", "v"],
    scalarNames: ["optim.stepSize", "optim.eps", "optim.decay"],
    scalars(step: number, lr: number): StepScalars {
      // lr·m̂/(√v̂ + ε) with m̂ = m/(1 − β1ᵗ), v̂ = v/(1 − β2ᵗ)  =  stepSize · m / (√v + ε')
      //   stepSize = lr·√(1 − β2ᵗ)/(1 − β1ᵗ),  ε' = ε·√(1 − β2ᵗ)
      const c2 = Math.sqrt(1 - beta2 ** step);
      return {
        "optim.stepSize": (lr * c2) / (1 - beta1 ** step),
        "optim.eps": eps * c2,
        "optim.decay": 1 - lr * weightDecay,
      };
    },
    update(
      p: Tensor,
      g: Tensor,
      gradScale: Tensor,
      [m0, v0]: readonly Tensor[],
      s: Readonly<Record<string, Tensor>>,
      decay: boolean,
    ) {
      // m ← β1·m + (1 − β1)·ĝ ;  v ← β2·v + (1 − β2)·ĝ²  with ĝ = gradScale · g
      const m = m0!.mul(beta1).add(g.mul(gradScale.mul(1 - beta1)));
      const v = v0!.mul(beta2).add(g.square().mul(gradScale.square().mul(1 - beta2)));
      // p ← p·(1 − lr·λ) − stepSize · m / (√v + ε')
      const step = m.div(v.sqrt().add(s["optim.eps"]!)).mul(s["optim.stepSize"]!);
      const kept = decay && weightDecay > 0 ? p.mul(s["optim.decay"]!) : p;
      return { param: kept.sub(step), state: [m, v] };
    },
  };
}
