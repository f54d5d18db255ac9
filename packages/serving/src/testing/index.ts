export * from "./openAiServer.ts";
export * from "./tinyAdapters.ts";
export * from "./tinyChatModel.ts";
