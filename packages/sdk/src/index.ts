export * from "./access.ts";
export * from "./client.ts";
export * from "./credits.ts";
export * from "./errors.ts";
export * from "./signing.ts";
export type * from "./types.ts";
export * from "./uploadStream.ts";
