export type * from "./batch.ts";
export * from "./batching.ts";
export * from "./chatTemplate.ts";
export * from "./dpo.ts";
export * from "./random.ts";
export * from "./sharegpt.ts";
export * from "./tabularCsv.ts";
