export * from "./floatConversion.ts";
export * from "./safetensors.ts";
export type * from "./tensor.ts";
