/** The federated-learning simulator: shipped datasets, lazy populations, client training on worker threads. */
export * from "./attacks.ts";
export * from "./clientTraining.ts";
export * from "./datasets.ts";
export * from "./evaluator.ts";
export * from "./model.ts";
export * from "./options.ts";
export * from "./partition.ts";
export * from "./population.ts";
export * from "./privacy.ts";
export * from "./random.ts";
export * from "./result.ts";
export * from "./simulate.ts";
export * from "./simulationGrid.ts";
export * from "./workerPool.ts";
