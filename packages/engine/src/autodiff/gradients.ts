import { EngineError } from "@flock/core";
import type { Tensor } from "../graph/graph.ts";
import { isDifferentiable } from "../graph/graph.ts";
import { gradRules } from "./rules.ts";

/**
 * Reverse-mode differentiation: new graph nodes computing d(loss)/d(x) for each x in `wrt`.
 * `loss` must be a scalar unless `seed` (the gradient of the output) is given. Inputs the loss does not
 * depend on get a zero gradient. Gradient nodes record "grad of <source>" so errors map back to the forward op.
 */
export function gradients(loss: Tensor, wrt: readonly Tensor[], seed?: Tensor): Tensor[] {
  const graph = loss.graph;
  if (seed === undefined && loss.rank !== 0) {
    throw new EngineError("AUTODIFF_NON_SCALAR", `loss has shape [${loss.shape.join(", ")}], not a scalar`, {
      hint: "reduce the loss to a scalar (sum or mean) or pass the output gradient as seed",
    });
  }
  const wanted = new Set(wrt);
  const nodes = graph.nodesFor([loss]);
  // Only nodes on a path from some `wrt` tensor to the loss need rules.
  const dependsOnWrt = new Set<Tensor>(wrt);
  for (const node of nodes) {
    if (node.inputs.some((t) => dependsOnWrt.has(t))) for (const o of node.outputs) dependsOnWrt.add(o);
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(loss, seed ?? graph.scalar(1, loss.dtype));
  const previous = graph.sourceOverride;
  try {
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i]!;
      if (!node.outputs.some((o) => dependsOnWrt.has(o))) continue;
      const dys = node.outputs.map((o) => grads.get(o));
      if (dys.every((d) => d === undefined)) continue;
      graph.sourceOverride = `grad of ${node.name} (${node.source})`;
      const dxs = gradRules[node.op](node, dys);
      node.inputs.forEach((input, k) => {
        const dx = dxs[k];
        if (dx === undefined || !isDifferentiable(input) || !dependsOnWrt.has(input)) return;
        const before = grads.get(input);
        grads.set(input, before ? before.add(dx) : dx);
      });
    }
  } finally {
    graph.sourceOverride = previous;
  }
  return wrt.map((x) => {
    const g = grads.get(x);
    if (g) return g;
    if (!wanted.has(x)) throw new Error("unreachable");
    const zero = graph.scalar(0, x.dtype).reshape(x.shape.map(() => 1));
    return zero.expandAs(x);
  });
}
