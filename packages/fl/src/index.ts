/**
 * @flock/fl — federated learning: the transport seam (`Grid`, `InMemoryGrid`), the round loop, aggregation
 * strategies, secure aggregation, differential privacy and contribution value.
 */
export * from "./arrays.ts";
export * from "./clipping.ts";
export * from "./contribution/index.ts";
export * from "./dp/index.ts";
export * from "./grid.ts";
export * from "./inMemoryGrid.ts";
export * from "./lora/flLoraRecipe.ts";
export * from "./messages.ts";
export * from "./metrics.ts";
export * from "./network/index.ts";
export * from "./report/index.ts";
export * from "./runFederation.ts";
export * from "./sampling.ts";
export * from "./secagg/index.ts";
export * from "./simulate/index.ts";
export * from "./strategies/bulyan.ts";
export * from "./strategies/fedAdagrad.ts";
export * from "./strategies/fedAdam.ts";
export * from "./strategies/fedAvg.ts";
export * from "./strategies/fedAvgM.ts";
export * from "./strategies/fedMedian.ts";
export * from "./strategies/fedOpt.ts";
export * from "./strategies/fedProx.ts";
export * from "./strategies/fedTrimmedAvg.ts";
export * from "./strategies/fedYogi.ts";
export * from "./strategies/krum.ts";
export * from "./strategies/multiKrum.ts";
export * from "./strategies/normClipping.ts";
export * from "./strategies/registry.ts";
export * from "./strategies/sampledStrategy.ts";
export * from "./strategies/strategyState.ts";
export * from "./strategy.ts";
