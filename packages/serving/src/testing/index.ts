export * from "./tinyAdapters.ts";
export * from "./tinyChatModel.ts";
