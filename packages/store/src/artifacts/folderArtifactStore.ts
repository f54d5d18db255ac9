import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { contentId, parseContentId, StorageError } from "@flock/core";
import { artifactCorrupt, artifactNotFound, checkMaxBytes } from "./artifactErrors.ts";
import type { ArtifactInfo, ArtifactSource, ArtifactStore, PutOptions } from "./artifactStore.ts";
import { spoolArtifact } from "./spoolArtifact.ts";
import { verifyArtifactStream } from "./verifyArtifactStream.ts";

export interface FolderArtifactStoreOptions {
  /** Re-hash artifacts on every read and fail with ARTIFACT_CORRUPT if the bytes changed (default false). */
  verifyOnRead?: boolean;
}

function isNotFound(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "ENOENT";
}

/** Flush a directory entry (a rename) to disk, where the platform allows opening directories. */
async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r").catch(() => undefined);
  if (handle === undefined) return;
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    await handle.close();
  }
}

/**
 * Content-addressed artifacts in a folder: `<root>/sha256/ab/cd/<hex>`. Uploads stream into
 * `<root>/tmp` while being hashed and counted, are fsynced, then renamed into place, so a crash never
 * leaves a partial file under a content id.
 */
export class FolderArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly #verifyOnRead: boolean;

  constructor(root: string, options: FolderArtifactStoreOptions = {}) {
    this.root = root;
    this.#verifyOnRead = options.verifyOnRead ?? false;
  }

  /** Where an artifact lives on disk. */
  pathOf(id: string): string {
    const hex = parseContentId(id).slice("sha256:".length);
    return join(this.root, "sha256", hex.slice(0, 2), hex.slice(2, 4), hex);
  }

  async put(source: ArtifactSource, options: PutOptions): Promise<ArtifactInfo> {
    checkMaxBytes(options.maxBytes);
    const expected = options.expectedId === undefined ? undefined : parseContentId(options.expectedId);
    const tmpDir = join(this.root, "tmp");
    await mkdir(tmpDir, { recursive: true });
    const tmpPath = join(tmpDir, `${randomUUID()}.part`);
    const { id, size } = await spoolArtifact(source, tmpPath, {
      maxBytes: options.maxBytes,
      expected,
      sync: true,
    });
    const finalPath = this.pathOf(id);
    try {
      const existing = await stat(finalPath).catch((error: unknown) => {
        if (isNotFound(error)) return undefined;
        throw error;
      });
      if (existing !== undefined && existing.size === size) {
        // Same content already stored: the store is idempotent.
        await rm(tmpPath, { force: true });
        return { id, size };
      }
      const folder = join(finalPath, "..");
      await mkdir(folder, { recursive: true });
      await rename(tmpPath, finalPath);
      await syncDirectory(folder);
      return { id, size };
    } catch (cause) {
      await rm(tmpPath, { force: true });
      throw new StorageError("ARTIFACT_WRITE_FAILED", `could not store artifact ${id} under ${this.root}`, {
        hint: "check the artifact folder exists, is writable and has free space",
        cause,
      });
    }
  }

  async get(id: string): Promise<Readable> {
    const info = await this.stat(id);
    const stream = createReadStream(this.pathOf(info.id));
    return this.#verifyOnRead ? verifyArtifactStream(stream, info.id) : stream;
  }

  async read(id: string): Promise<Uint8Array> {
    const path = this.pathOf(id);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      if (isNotFound(error)) throw artifactNotFound(id);
      throw error;
    }
    if (this.#verifyOnRead) {
      const actual = contentId(bytes);
      if (actual !== id) throw artifactCorrupt(id, actual);
    }
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async has(id: string): Promise<boolean> {
    try {
      await stat(this.pathOf(id));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async stat(id: string): Promise<ArtifactInfo> {
    const parsed = parseContentId(id);
    try {
      const info = await stat(this.pathOf(parsed));
      return { id: parsed, size: info.size };
    } catch (error) {
      if (isNotFound(error)) throw artifactNotFound(parsed);
      throw error;
    }
  }
}
