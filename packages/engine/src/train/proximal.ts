import type { Tensor } from "../graph/graph.ts";

/** Graph input name of a trainable weight's anchor (the weights local training started from). */
export const anchorName = (param: string): string => `anchor/${param}`;

/** Graph input name of the proximal coefficient μ (a scalar fed each step, so μ can change per round). */
export const PROXIMAL_MU = "proximal.mu";

/** A proximal term on local training: the trainer adds μ/2·‖w − w_anchor‖² to the loss it minimizes. */
export interface ProximalOptions {
  /** The coefficient μ ≥ 0 (0 trains exactly as without the term; change it with `setProximalMu`). */
  mu: number;
}

/**
 * The proximal term of FedProx — Li, Sahu, Zaheer, Sanjabi, Talwalkar, Smith, "Federated Optimization in
 * Heterogeneous Networks", MLSys 2020, eq. (2): μ/2 · Σ ‖w − w_anchor‖² over the trainable weights, whose
 * gradient μ·(w − w_anchor) pulls local training back towards the global model it started from.
 */
export function proximalTerm(
  weights: readonly Tensor[],
  anchors: readonly Tensor[],
  mu: Tensor | number,
): Tensor {
  let sum = weights[0]!.sub(anchors[0]!).sumSquares();
  for (let i = 1; i < weights.length; i++) sum = sum.add(weights[i]!.sub(anchors[i]!).sumSquares());
  return sum.mul(mu).mul(0.5);
}
