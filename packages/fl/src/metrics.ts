import type { Metrics } from "./messages.ts";

/**
 * The example-weighted mean of each metric over the nodes that report it (Flower's default metric
 * aggregation, weighted by `num-examples`).
 */
export function weightedMetrics(items: readonly { numExamples: number; metrics: Metrics }[]): Metrics {
  const sums = new Map<string, { value: number; weight: number }>();
  for (const { numExamples, metrics } of items) {
    for (const [key, value] of Object.entries(metrics)) {
      if (!Number.isFinite(value)) continue;
      const s = sums.get(key) ?? { value: 0, weight: 0 };
      s.value += value * numExamples;
      s.weight += numExamples;
      sums.set(key, s);
    }
  }
  const out: Record<string, number> = {};
  for (const [key, s] of sums) if (s.weight > 0) out[key] = s.value / s.weight;
  return out;
}
