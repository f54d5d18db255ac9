import type { Strategy } from "../strategy.ts";
import { FedAvg, type FedAvgOptions } from "./fedAvg.ts";

/**
 * Every strategy by its command-line name, built from common options (what `flock fl simulate --strategy`
 * and the conformance suite use). Strategy-specific options take their published defaults.
 */
export const STRATEGIES: Readonly<Record<string, (options: FedAvgOptions) => Strategy>> = {
  fedavg: (o) => new FedAvg(o),
};

export type StrategyName = keyof typeof STRATEGIES;
