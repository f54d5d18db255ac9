export * from "./codec.ts";
export * from "./voteCommitment.ts";
