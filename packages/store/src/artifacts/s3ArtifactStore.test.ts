import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { contentId } from "@flock/core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { S3RVER_CREDENTIALS, type S3TestServer, startS3TestServer } from "../testing/s3TestServer.ts";
import { artifactStoreCases } from "./artifactStore.cases.ts";
import { S3ArtifactStore, type S3ArtifactStoreOptions } from "./s3ArtifactStore.ts";

interface CuttingProxy {
  endpoint: string;
  /** The request line and headers of every request that went through. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of s3rver that forwards everything but cuts the connection halfway through the
 * body of any PUT: an upload that dies on the network, which s3rver alone cannot produce.
 */
async function startCuttingProxy(targetPort: number): Promise<CuttingProxy> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => sockets.delete(socket));
    }
    let uploading = false;
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      if (/^[A-Z]+ \//.test(text)) requests.push(text.slice(0, text.indexOf("\r\n\r\n")));
      if (uploading) {
        upstream.write(chunk.subarray(0, chunk.byteLength >> 1));
        client.destroy();
        upstream.destroy();
        return;
      }
      uploading = text.startsWith("PUT ");
      upstream.write(chunk);
    });
    upstream.pipe(client);
    client.on("close", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("S3ArtifactStore on s3rver", () => {
  let server: S3TestServer;
  let spoolDir = "";
  const opened: S3ArtifactStore[] = [];

  function openStore(options: Partial<S3ArtifactStoreOptions> = {}): S3ArtifactStore {
    const store = new S3ArtifactStore({
      bucket: server.bucket,
      prefix: "flock/",
      endpoint: server.endpoint,
      region: "us-east-1",
      credentials: S3RVER_CREDENTIALS,
      forcePathStyle: true,
      spoolDir,
      ...options,
    });
    opened.push(store);
    return store;
  }

  let store: S3ArtifactStore;
  beforeAll(async () => {
    server = await startS3TestServer();
    spoolDir = await mkdtemp(join(tmpdir(), "flock-s3-spool-"));
    store = openStore();
  });
  afterAll(async () => {
    for (const each of opened) each.close();
    await server?.close();
    await rm(spoolDir, { recursive: true, force: true });
  });

  describe("conformance", () => {
    // A fresh prefix per case, as the folder store gets a fresh folder: no case sees another's objects.
    let caseStore: S3ArtifactStore;
    let caseNumber = 0;
    beforeEach(() => {
      caseNumber += 1;
      caseStore = openStore({ prefix: `conformance-${caseNumber}/` });
    });
    artifactStoreCases(() => caseStore);
  });

  it("stores an artifact under <prefix>sha256/<hex> with its content id in the metadata", async () => {
    const bytes = new TextEncoder().encode("key layout");
    const { id } = await store.put(bytes, { maxBytes: 100 });
    expect(store.keyOf(id)).toBe(`flock/sha256/${id.slice("sha256:".length)}`);
    const raw = new S3Client({
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
    });
    const head = await raw.send(new HeadObjectCommand({ Bucket: server.bucket, Key: store.keyOf(id) }));
    raw.destroy();
    expect(head.ContentLength).toBe(bytes.byteLength);
    expect(head.Metadata).toEqual({ "content-id": id });
  });

  it("verify-on-read catches an object whose bytes were overwritten behind the store's back", async () => {
    const verifying = openStore({ verifyOnRead: true });
    const { id } = await verifying.put(new TextEncoder().encode("original weights"), { maxBytes: 100 });
    expect(Buffer.from(await verifying.read(id)).toString()).toBe("original weights");

    const raw = new S3Client({
      endpoint: server.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      requestChecksumCalculation: "WHEN_REQUIRED",
    });
    await raw.send(
      new PutObjectCommand({ Bucket: server.bucket, Key: verifying.keyOf(id), Body: "corrupted weights" }),
    );
    raw.destroy();

    await expect(verifying.read(id)).rejects.toMatchObject({
      name: "StorageError",
      code: "ARTIFACT_CORRUPT",
    });
    await expect(buffer(await verifying.get(id))).rejects.toMatchObject({ code: "ARTIFACT_CORRUPT" });
    // Without verification the damaged bytes are served as they are.
    expect(Buffer.from(await store.read(id)).toString()).toBe("corrupted weights");
  });

  it("the spool folder is left empty after a stored, an oversized and a mismatched upload", async () => {
    const bytes = randomBytes(50_000);
    await store.put(bytes, { maxBytes: 50_000 });
    await expect(store.put(randomBytes(50_001), { maxBytes: 50_000 })).rejects.toMatchObject({
      code: "ARTIFACT_TOO_LARGE",
    });
    await expect(
      store.put(bytes, { maxBytes: 50_000, expectedId: contentId("other") }),
    ).rejects.toMatchObject({
      code: "ARTIFACT_HASH_MISMATCH",
    });
    // The idempotent path (content already stored, no upload) cleans up too.
    await store.put(bytes, { maxBytes: 50_000 });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it("two stores with different prefixes on one bucket do not see each other's artifacts", async () => {
    const alpha = openStore({ prefix: "alpha" });
    const beta = openStore({ prefix: "beta/" });
    expect(alpha.prefix).toBe("alpha/");
    const { id } = await alpha.put(new TextEncoder().encode("only in alpha"), { maxBytes: 100 });
    expect(await alpha.has(id)).toBe(true);
    expect(await beta.has(id)).toBe(false);
    await expect(beta.read(id)).rejects.toMatchObject({ code: "ARTIFACT_NOT_FOUND" });
    await beta.put(new TextEncoder().encode("only in alpha"), { maxBytes: 100 });
    expect(await beta.stat(id)).toEqual(await alpha.stat(id));
  });

  it("an upload cut off halfway fails the put, leaves the spool folder empty, and a retry stores it whole", async () => {
    const proxy = await startCuttingProxy(server.port);
    try {
      const cut = openStore({ endpoint: proxy.endpoint, maxAttempts: 1 });
      const bytes = randomBytes(1024 * 1024);
      const error = await cut.put(bytes, { maxBytes: bytes.byteLength }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "StorageError", code: "ARTIFACT_STORE_UNREACHABLE" });
      // The upload went out with its sha256, which S3 checks against the bytes it receives.
      const put = proxy.requests.find((request) => request.startsWith("PUT "));
      expect(put?.toLowerCase()).toContain(
        `x-amz-checksum-sha256: ${Buffer.from(contentId(bytes).slice(7), "hex").toString("base64")}`.toLowerCase(),
      );
      expect(await readdir(spoolDir)).toEqual([]);
      // S3 makes an object visible only once its upload is complete and matches its checksum. s3rver does
      // not: it keeps the partial body under the key. The store's defences still hold: verify-on-read
      // refuses it, and the caller's retry of the put sees the wrong size and uploads the whole again.
      const id = contentId(bytes);
      expect((await store.stat(id)).size).toBeLessThan(bytes.byteLength);
      await expect(openStore({ verifyOnRead: true }).read(id)).rejects.toMatchObject({
        code: "ARTIFACT_CORRUPT",
      });
      await expect(store.put(bytes, { maxBytes: bytes.byteLength })).resolves.toEqual({
        id,
        size: bytes.byteLength,
      });
      expect(Buffer.from(await store.read(id)).equals(bytes)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it("a bucket that does not exist is ARTIFACT_BUCKET_NOT_FOUND, not a missing artifact", async () => {
    const missing = openStore({ bucket: "no-such-bucket" });
    const id = contentId("anything");
    await expect(missing.has(id)).rejects.toMatchObject({
      name: "StorageError",
      code: "ARTIFACT_BUCKET_NOT_FOUND",
    });
    await expect(missing.stat(id)).rejects.toMatchObject({ code: "ARTIFACT_BUCKET_NOT_FOUND" });
    await expect(missing.read(id)).rejects.toMatchObject({ code: "ARTIFACT_BUCKET_NOT_FOUND" });
    const error = await missing.put(new TextEncoder().encode("x"), { maxBytes: 10 }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ARTIFACT_BUCKET_NOT_FOUND",
      hint: expect.stringContaining("create"),
    });
    expect((error as Error).cause).toBeDefined();
  });

  it("an access key the server does not know is ARTIFACT_STORE_DENIED", async () => {
    const stranger = openStore({ credentials: { accessKeyId: "NOT-A-KEY", secretAccessKey: "S3RVER" } });
    const id = contentId("anything");
    const error = await stranger.has(id).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ARTIFACT_STORE_DENIED",
      hint: expect.stringContaining("AWS_ACCESS_KEY_ID"),
    });
    await expect(stranger.read(id)).rejects.toMatchObject({ code: "ARTIFACT_STORE_DENIED" });
    await expect(stranger.put(new TextEncoder().encode("x"), { maxBytes: 10 })).rejects.toMatchObject({
      code: "ARTIFACT_STORE_DENIED",
    });
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it("a closed port is ARTIFACT_STORE_UNREACHABLE within a few seconds", async () => {
    const other = await startS3TestServer();
    const closedEndpoint = other.endpoint;
    await other.close();
    const down = openStore({ endpoint: closedEndpoint, maxAttempts: 2, connectionTimeoutMs: 1000 });
    const started = Date.now();
    const id = contentId("anything");
    const error = await down.has(id).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "StorageError", code: "ARTIFACT_STORE_UNREACHABLE" });
    expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED" });
    await expect(down.get(id)).rejects.toMatchObject({ code: "ARTIFACT_STORE_UNREACHABLE" });
    await expect(down.put(new TextEncoder().encode("x"), { maxBytes: 10 })).rejects.toMatchObject({
      code: "ARTIFACT_STORE_UNREACHABLE",
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await readdir(spoolDir)).toEqual([]);
  });

  it("a malformed id is refused before any request is made", async () => {
    // Pointing at a closed port proves no request was needed to refuse it.
    const down = openStore({ endpoint: "http://127.0.0.1:1", maxAttempts: 1 });
    const bad = "sha256:../../etc/passwd";
    const calls = [() => down.has(bad), () => down.stat(bad), () => down.get(bad), () => down.read(bad)];
    for (const call of calls) await expect(call()).rejects.toMatchObject({ code: "CONTENT_ID_MALFORMED" });
    await expect(
      down.put(new TextEncoder().encode("x"), { maxBytes: 10, expectedId: "sha256:XYZ" }),
    ).rejects.toMatchObject({ code: "CONTENT_ID_MALFORMED" });
  });

  it("a client passed together with connection options is refused", () => {
    const client = new S3Client({ region: "us-east-1" });
    expect(() => new S3ArtifactStore({ bucket: "b-1", client, endpoint: "http://127.0.0.1:9000" })).toThrow(
      expect.objectContaining({ code: "ARTIFACT_STORE_OPTIONS_CONFLICT" }),
    );
    client.destroy();
  });
});
