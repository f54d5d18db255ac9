import type { Tensor } from "../graph/graph.ts";

/**
 * Global L2 norm of the gradients `multiplier · g` and the factor to apply to the raw `g`:
 * multiplier · min(1, c / (‖multiplier · g‖ + 1e-6)) (clipping by global norm, Pascanu et al. 2013).
 * The factor is a scalar the optimizer folds into its own scalars, so neither averaging nor clipping costs
 * an extra pass over the gradients. Without `maxNorm` only the multiplier is applied.
 */
export function clipByGlobalNorm(
  grads: readonly Tensor[],
  maxNorm: number | undefined,
  multiplier = 1,
): { scale: Tensor; norm: Tensor } {
  const first = grads[0]!;
  let sumSquares = first.sumSquares();
  for (const g of grads.slice(1)) sumSquares = sumSquares.add(g.sumSquares());
  const norm = sumSquares.sqrt().mul(multiplier);
  const scale =
    maxNorm === undefined
      ? first.graph.scalar(multiplier, first.dtype)
      : norm.add(1e-6).reciprocal().mul(maxNorm).minimum(1).mul(multiplier);
  return { scale, norm };
}
