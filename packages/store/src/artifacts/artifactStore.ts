import type { Readable } from "node:stream";
import type { ContentId } from "@flock/core";

/** Bytes to store: a buffer, or a stream of chunks (an HTTP upload, a file). */
export type ArtifactSource = Uint8Array | AsyncIterable<Uint8Array> | Readable;

export interface PutOptions {
  /** Refuse (and discard) the upload as soon as it exceeds this many bytes. */
  maxBytes: number;
  /** The content id the bytes must hash to (e.g. the submission's commit); refused otherwise. */
  expectedId?: string;
}

/** A stored artifact's identity: its content id and size in bytes. */
export interface ArtifactInfo {
  id: ContentId;
  size: number;
}

/**
 * Content-addressed artifact storage (SPEC §4): every artifact is named by the sha256 of its bytes, so
 * storing the same bytes twice is a no-op and anything read can be checked against its name.
 */
export interface ArtifactStore {
  /** Store bytes while hashing them; returns their content id and size. */
  put(source: ArtifactSource, options: PutOptions): Promise<ArtifactInfo>;
  /** A stream of an artifact's bytes; NotFoundError ARTIFACT_NOT_FOUND when absent. */
  get(id: string): Promise<Readable>;
  /** An artifact's bytes in memory; NotFoundError ARTIFACT_NOT_FOUND when absent. */
  read(id: string): Promise<Uint8Array>;
  has(id: string): Promise<boolean>;
  /** Id and size; NotFoundError ARTIFACT_NOT_FOUND when absent. */
  stat(id: string): Promise<ArtifactInfo>;
  /** Release connections (an S3 client's sockets); the folder store holds none. */
  close?(): void | Promise<void>;
}
