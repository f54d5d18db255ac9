/** FL Alliance participants: the daemon answering a federated task's messages, its state file, node apps. */
export * from "./flParticipant.ts";
export * from "./flParticipantState.ts";
export * from "./flParticipantStore.ts";
export * from "./flPrivacyApp.ts";
export * from "./flShards.ts";
export * from "./loraFlApp.ts";
export * from "./tabularFlApp.ts";
