import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { contentId, sha256Hex } from "@flock/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { artifactStoreCases } from "./artifactStore.cases.ts";
import { FolderArtifactStore } from "./folderArtifactStore.ts";

describe("FolderArtifactStore", () => {
  let root = "";
  let store: FolderArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "flock-artifacts-"));
    store = new FolderArtifactStore(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  describe("conformance", () => artifactStoreCases(() => store));

  it("lays artifacts out as sha256/ab/cd/<hex> and leaves no temp files", async () => {
    const bytes = new TextEncoder().encode("layout");
    const hex = sha256Hex(bytes);
    await store.put(bytes, { maxBytes: 100 });
    await expect(store.put(new Uint8Array(200), { maxBytes: 100 })).rejects.toMatchObject({
      code: "ARTIFACT_TOO_LARGE",
    });
    expect(await readdir(join(root, "sha256", hex.slice(0, 2), hex.slice(2, 4)))).toEqual([hex]);
    expect(await readdir(join(root, "tmp"))).toEqual([]);
  });

  it("verify-on-read catches a stored file whose bytes changed", async () => {
    const verifying = new FolderArtifactStore(root, { verifyOnRead: true });
    const bytes = new TextEncoder().encode("original weights");
    const { id } = await verifying.put(bytes, { maxBytes: 100 });
    expect(Buffer.from(await verifying.read(id)).toString()).toBe("original weights");
    await writeFile(verifying.pathOf(id), "corrupted weights");
    await expect(verifying.read(id)).rejects.toMatchObject({
      name: "StorageError",
      code: "ARTIFACT_CORRUPT",
    });
    await expect(buffer(await verifying.get(id))).rejects.toMatchObject({ code: "ARTIFACT_CORRUPT" });
    // Without verification the damaged bytes are served as they are.
    expect(Buffer.from(await store.read(id)).toString()).toBe("corrupted weights");
  });

  it("a stored artifact survives a new store instance on the same folder", async () => {
    const { id } = await store.put(new TextEncoder().encode("durable"), { maxBytes: 100 });
    const reopened = new FolderArtifactStore(root);
    expect(await reopened.stat(id)).toEqual({ id: contentId("durable"), size: 7 });
  });
});
