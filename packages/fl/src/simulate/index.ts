/**
 * The federated-learning simulator's public API: `simulate`, its options and result, the shipped datasets,
 * partitions, populations, attacks and DP modes. Its machinery (worker pool, client trainer, evaluator,
 * simulation grid, seeded draws) stays inside this folder.
 */
export * from "./attacks.ts";
export * from "./datasets.ts";
export * from "./options.ts";
export * from "./partition.ts";
export * from "./population.ts";
export * from "./privacy.ts";
export * from "./result.ts";
export * from "./simulate.ts";
