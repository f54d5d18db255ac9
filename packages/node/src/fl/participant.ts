/**
 * The participant side of a federated task without Node built-ins: the loop, its state rules, the privacy
 * wrappers and the tabular app. The browser FL client (@flock/flweb) bundles this entry.
 */
export * from "./flParticipant.ts";
export * from "./flParticipantStore.ts";
export * from "./flPrivacyApp.ts";
export * from "./tabularFlApp.ts";
