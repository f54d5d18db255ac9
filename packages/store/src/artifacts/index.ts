export * from "./artifactErrors.ts";
export type * from "./artifactStore.ts";
export * from "./artifactStoreLocation.ts";
export * from "./folderArtifactStore.ts";
export * from "./openArtifactStore.ts";
export * from "./s3ArtifactStore.ts";
