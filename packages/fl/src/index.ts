/**
 * @flock/fl — federated learning: the transport seam (`Grid`, `InMemoryGrid`), the round loop, aggregation
 * strategies, secure aggregation, differential privacy and contribution value.
 */
export * from "./arrays.ts";
export * from "./contribution/index.ts";
export * from "./grid.ts";
export * from "./inMemoryGrid.ts";
export * from "./messages.ts";
export * from "./metrics.ts";
export * from "./runFederation.ts";
export * from "./sampling.ts";
export * from "./strategies/fedAvg.ts";
export * from "./strategies/registry.ts";
export * from "./strategies/sampledStrategy.ts";
export * from "./strategy.ts";
