import type { Strategy } from "../strategy.ts";
import { Bulyan } from "./bulyan.ts";
import { FedAdagrad } from "./fedAdagrad.ts";
import { FedAdam } from "./fedAdam.ts";
import { FedAvg, type FedAvgOptions } from "./fedAvg.ts";
import { FedAvgM } from "./fedAvgM.ts";
import { FedMedian } from "./fedMedian.ts";
import { FedProx } from "./fedProx.ts";
import { FedTrimmedAvg } from "./fedTrimmedAvg.ts";
import { FedYogi } from "./fedYogi.ts";
import { Krum } from "./krum.ts";
import { MultiKrum } from "./multiKrum.ts";

/**
 * Every strategy by its command-line name, built from common options (what `flock fl simulate --strategy`
 * and the conformance suite use). Strategy-specific options take their published defaults.
 */
export const STRATEGIES: Readonly<Record<string, (options: FedAvgOptions) => Strategy>> = {
  fedavg: (o) => new FedAvg(o),
  fedprox: (o) => new FedProx(o),
  fedavgm: (o) => new FedAvgM(o),
  fedadam: (o) => new FedAdam(o),
  fedyogi: (o) => new FedYogi(o),
  fedadagrad: (o) => new FedAdagrad(o),
  fedmedian: (o) => new FedMedian(o),
  fedtrimmedavg: (o) => new FedTrimmedAvg(o),
  krum: (o) => new Krum(o),
  multikrum: (o) => new MultiKrum(o),
  bulyan: (o) => new Bulyan(o),
};

export type StrategyName = keyof typeof STRATEGIES;
