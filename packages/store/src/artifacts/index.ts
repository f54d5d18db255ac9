export * from "./artifactErrors.ts";
export type * from "./artifactStore.ts";
export * from "./folderArtifactStore.ts";
