export * from "./amount.ts";
export * from "./canonicalJson.ts";
export * from "./config.ts";
export * from "./contentId.ts";
export * from "./errors.ts";
export * from "./logger.ts";
export * from "./requestSigning.ts";
export * from "./scoreCommitment.ts";
export * as wire from "./wire/index.ts";
