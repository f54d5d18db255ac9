export * from "./corpus.ts";
export * from "./glucose.ts";
export * from "./instructions.ts";
export * from "./tabular.ts";
