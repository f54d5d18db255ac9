export * from "./byteLevel.ts";
export * from "./byteTokenizer.ts";
export * from "./hfTokenizer.ts";
export type * from "./tokenizer.ts";
export * from "./trainBpe.ts";
