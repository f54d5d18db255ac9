import type { Graph, Tensor } from "../graph/graph.ts";
import { interpret, type ReferenceFeeds } from "../reference/interpret.ts";
import type { NDArray } from "../reference/ndarray.ts";
import { gradients } from "./gradients.ts";

/** Result of comparing autodiff gradients with central finite differences. */
export interface GradCheckResult {
  /** Largest |analytic − numeric| / max(1, |numeric|) over all checked elements. */
  maxError: number;
  checked: number;
}

/**
 * Compare reverse-mode gradients of a scalar `loss` with central finite differences, both evaluated by
 * the float64 reference interpreter. `maxPerInput` caps how many elements of each input are perturbed.
 */
export function gradCheck(
  graph: Graph,
  loss: Tensor,
  wrt: readonly Tensor[],
  feeds: ReferenceFeeds,
  options: { h?: number; maxPerInput?: number } = {},
): GradCheckResult {
  const h = options.h ?? 1e-6;
  const grads = gradients(loss, wrt);
  const analytic = interpret(graph, feeds, grads);
  const lossAt = (f: ReferenceFeeds) => interpret(graph, f, [loss])[0]!.data[0]!;
  let maxError = 0;
  let checked = 0;
  wrt.forEach((x, k) => {
    const name = x.inputName!;
    const base: NDArray = feeds[name]!;
    const n = base.data.length;
    const step = Math.max(1, Math.floor(n / (options.maxPerInput ?? 24)));
    for (let i = 0; i < n; i += step) {
      const plus = { ...feeds, [name]: { shape: base.shape, data: Float64Array.from(base.data) } };
      const minus = { ...feeds, [name]: { shape: base.shape, data: Float64Array.from(base.data) } };
      plus[name]!.data[i]! += h;
      minus[name]!.data[i]! -= h;
      const numeric = (lossAt(plus) - lossAt(minus)) / (2 * h);
      const got = analytic[k]!.data[i]!;
      maxError = Math.max(maxError, Math.abs(got - numeric) / Math.max(1, Math.abs(numeric)));
      checked++;
    }
  });
  return { maxError, checked };
}
