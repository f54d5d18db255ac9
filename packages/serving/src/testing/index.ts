export * from "./tinyChatModel.ts";
