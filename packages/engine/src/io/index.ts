export * from "./floatConversion.ts";
export * from "./safetensors.ts";
export * from "./tabularModelFile.ts";
export type * from "./tensor.ts";
