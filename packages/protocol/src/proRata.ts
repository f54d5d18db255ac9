import { assertAmount } from "@flock/core";

/** A pro-rata distribution: one amount per weight, plus the rounding dust that nobody received. */
export interface ProRata {
  amounts: bigint[];
  dust: bigint;
}

/**
 * Split `total` by weights: amount_i = floor(total · w_i / Σw), dust = total − Σ amount_i.
 * Σ amounts + dust == total exactly; when every weight is zero the whole total is dust. Each amount
 * depends only on its own weight and the sum, so input order never changes who gets what.
 */
export function distributeProRata(total: bigint, weights: readonly bigint[]): ProRata {
  assertAmount(total, "total");
  let sum = 0n;
  for (const weight of weights) sum += assertAmount(weight, "weight");
  if (sum === 0n) return { amounts: weights.map(() => 0n), dust: total };
  const amounts = weights.map((weight) => (total * weight) / sum);
  const paid = amounts.reduce((a, b) => a + b, 0n);
  return { amounts, dust: total - paid };
}
