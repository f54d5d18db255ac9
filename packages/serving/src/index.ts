/**
 * @flock/serving — Moonbase's inference: an OpenAI-compatible API over the engine's KV-cache decode.
 */
export * from "./adapterCache.ts";
export * from "./completionEngine.ts";
export * from "./completionRequest.ts";
export * from "./decodeScheduler.ts";
export * from "./modelCatalog.ts";
export * from "./openAiError.ts";
export * from "./openAiResponses.ts";
export type * from "./openAiWire.ts";
export * from "./upstream.ts";
