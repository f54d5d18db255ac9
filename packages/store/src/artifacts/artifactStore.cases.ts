import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { contentId } from "@flock/core";
import { expect, it } from "vitest";
import type { ArtifactStore } from "./artifactStore.ts";

async function* chunked(bytes: Uint8Array, size: number): AsyncIterable<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Cases every ArtifactStore implementation must pass; `store()` gives the store under test. */
export function artifactStoreCases(store: () => ArtifactStore): void {
  it("stored bytes come back under their sha256 content id", async () => {
    const bytes = new TextEncoder().encode("adapter_model.safetensors");
    const info = await store().put(bytes, { maxBytes: 1024 });
    expect(info).toEqual({ id: contentId(bytes), size: bytes.byteLength });
    expect(await store().has(info.id)).toBe(true);
    expect(await store().stat(info.id)).toEqual(info);
    expect(Buffer.from(await store().read(info.id))).toEqual(Buffer.from(bytes));
  });

  it("a streamed upload (async chunks or a Readable) gets the same id as the whole buffer", async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const fromIterable = await store().put(chunked(bytes, 64 * 1024), { maxBytes: bytes.byteLength });
    const fromReadable = await store().put(Readable.from(chunked(bytes, 100_000)), {
      maxBytes: bytes.byteLength,
    });
    expect(fromIterable).toEqual({ id: contentId(bytes), size: bytes.byteLength });
    expect(fromReadable).toEqual(fromIterable);
    expect((await buffer(await store().get(fromIterable.id))).equals(bytes)).toBe(true);
  });

  it("storing the same content twice is a no-op", async () => {
    const bytes = new TextEncoder().encode("same");
    const first = await store().put(bytes, { maxBytes: 10 });
    const second = await store().put(bytes, { maxBytes: 10 });
    expect(second).toEqual(first);
  });

  it("an empty artifact is a valid artifact", async () => {
    const info = await store().put(new Uint8Array(0), { maxBytes: 0 });
    expect(info).toEqual({ id: contentId(new Uint8Array(0)), size: 0 });
    expect((await store().read(info.id)).byteLength).toBe(0);
  });

  it("an upload over maxBytes is refused while streaming and nothing is stored", async () => {
    const bytes = randomBytes(10_001);
    let pulled = 0;
    async function* counted(): AsyncIterable<Uint8Array> {
      for await (const chunk of chunked(bytes, 1000)) {
        pulled += chunk.byteLength;
        yield chunk;
      }
    }
    await expect(store().put(counted(), { maxBytes: 5000 })).rejects.toMatchObject({
      name: "ValidationError",
      code: "ARTIFACT_TOO_LARGE",
    });
    expect(pulled).toBeLessThanOrEqual(6000);
    expect(await store().has(contentId(bytes))).toBe(false);
    // Exactly at the limit is allowed.
    await expect(store().put(bytes, { maxBytes: 10_001 })).resolves.toMatchObject({ size: 10_001 });
  });

  it("bytes that do not hash to the expected id are refused and not stored", async () => {
    const bytes = new TextEncoder().encode("tampered");
    await expect(
      store().put(bytes, { maxBytes: 100, expectedId: contentId("committed") }),
    ).rejects.toMatchObject({
      code: "ARTIFACT_HASH_MISMATCH",
    });
    expect(await store().has(contentId(bytes))).toBe(false);
    await expect(store().put(bytes, { maxBytes: 100, expectedId: contentId(bytes) })).resolves.toMatchObject({
      id: contentId(bytes),
    });
  });

  it("a source that fails mid-upload stores nothing", async () => {
    async function* broken(): AsyncIterable<Uint8Array> {
      yield new Uint8Array([1, 2, 3]);
      throw new Error("connection reset");
    }
    await expect(store().put(broken(), { maxBytes: 100 })).rejects.toThrow("connection reset");
    expect(await store().has(contentId(new Uint8Array([1, 2, 3])))).toBe(false);
  });

  it("a missing artifact is a NotFoundError and a malformed id a ValidationError", async () => {
    const missing = contentId("never stored");
    expect(await store().has(missing)).toBe(false);
    await expect(store().read(missing)).rejects.toMatchObject({
      name: "NotFoundError",
      code: "ARTIFACT_NOT_FOUND",
    });
    await expect(store().get(missing)).rejects.toMatchObject({ code: "ARTIFACT_NOT_FOUND" });
    await expect(store().stat(missing)).rejects.toMatchObject({ code: "ARTIFACT_NOT_FOUND" });
    await expect(store().read("sha256:../../etc/passwd")).rejects.toMatchObject({
      code: "CONTENT_ID_MALFORMED",
    });
  });
}
