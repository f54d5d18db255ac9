import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { contentId } from "@flock/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { S3RVER_CREDENTIALS, startS3TestServer } from "../testing/s3TestServer.ts";
import { parseArtifactStoreLocation } from "./artifactStoreLocation.ts";
import { FolderArtifactStore } from "./folderArtifactStore.ts";
import { describeArtifactStore, openArtifactStore } from "./openArtifactStore.ts";
import { S3ArtifactStore } from "./s3ArtifactStore.ts";

describe("parseArtifactStoreLocation", () => {
  it("a plain path is a folder, resolved against the working folder", () => {
    expect(parseArtifactStoreLocation("/var/flock/artifacts")).toEqual({
      kind: "folder",
      path: "/var/flock/artifacts",
    });
    expect(parseArtifactStoreLocation("./artifacts")).toEqual({ kind: "folder", path: resolve("artifacts") });
    expect(parseArtifactStoreLocation("file:///var/flock/artifacts")).toEqual({
      kind: "folder",
      path: "/var/flock/artifacts",
    });
  });

  it("an empty location falls back to the default folder, and is refused without one", () => {
    expect(parseArtifactStoreLocation(undefined, { defaultFolder: "/home/a/.flock/artifacts" })).toEqual({
      kind: "folder",
      path: "/home/a/.flock/artifacts",
    });
    expect(parseArtifactStoreLocation("  ", { defaultFolder: "/d" })).toEqual({ kind: "folder", path: "/d" });
    expect(() => parseArtifactStoreLocation("")).toThrow(
      expect.objectContaining({ name: "ConfigError", code: "ARTIFACT_STORE_URL_INVALID" }),
    );
  });

  it("a bare s3 URL is a bucket on AWS S3 in us-east-1 with virtual-host addressing", () => {
    expect(parseArtifactStoreLocation("s3://flock-artifacts")).toEqual({
      kind: "s3",
      bucket: "flock-artifacts",
      prefix: "",
      endpoint: undefined,
      region: "us-east-1",
      forcePathStyle: false,
    });
  });

  it("an s3 URL with a prefix, endpoint and region; the prefix gains a trailing slash", () => {
    expect(
      parseArtifactStoreLocation(
        "s3://flock-artifacts/team/a?endpoint=http://127.0.0.1:9000&region=eu-west-1",
      ),
    ).toEqual({
      kind: "s3",
      bucket: "flock-artifacts",
      prefix: "team/a/",
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-1",
      forcePathStyle: true,
    });
    expect(parseArtifactStoreLocation("s3://flock-artifacts/team/")).toMatchObject({ prefix: "team/" });
    expect(
      parseArtifactStoreLocation("s3://flock-artifacts?endpoint=https://s3.example.com/&pathStyle=false"),
    ).toMatchObject({ endpoint: "https://s3.example.com", forcePathStyle: false, prefix: "" });
    expect(parseArtifactStoreLocation("s3://flock-artifacts?pathStyle=true")).toMatchObject({
      forcePathStyle: true,
    });
  });

  it.each([
    ["s3:///prefix", "the bucket name is empty"],
    ["s3://", "the bucket name is empty"],
    ["gs://flock-artifacts", "unknown scheme"],
    ["https://s3.amazonaws.com/flock-artifacts", "unknown scheme"],
    ["s3:flock-artifacts", "starts with s3://"],
    ["s3://Flock_Artifacts", "not a valid bucket name"],
    ["s3://ab", "not a valid bucket name"],
    ["s3://flock-artifacts?bucket=other", 'unknown parameter "bucket"'],
    ["s3://flock-artifacts?region=us-east-1&region=eu-west-1", "given twice"],
    ["s3://flock-artifacts?endpoint=", "is empty"],
    ["s3://flock-artifacts?endpoint=localhost:9000", "not an http(s) URL"],
    ["s3://flock-artifacts?endpoint=127.0.0.1:9000", "not a URL"],
    ["s3://flock-artifacts?endpoint=http://key:secret@127.0.0.1:9000", "holds credentials"],
    ["s3://key:secret@flock-artifacts", "holds credentials"],
    ["s3://flock-artifacts:9000/x", "host:port"],
    ["s3://flock-artifacts?pathStyle=yes", "pathStyle must be true or false"],
    ["s3://flock-artifacts?region=EU%20West", "not a region name"],
    ["s3://flock-artifacts/a//b", "empty path segment"],
    ["s3://flock-artifacts/x#frag", "no #fragment"],
    ["s3://flock-artifacts/%E0%A4%A", "percent-encoding"],
    ["file://remote-host/x", "file://"],
  ])("%s is ARTIFACT_STORE_URL_INVALID (%s)", (location, problem) => {
    let error: unknown;
    try {
      parseArtifactStoreLocation(location);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({
      name: "ConfigError",
      code: "ARTIFACT_STORE_URL_INVALID",
      message: expect.stringContaining(problem),
      hint: expect.stringContaining("s3://<bucket>"),
    });
  });
});

describe("describeArtifactStore", () => {
  it("names the folder or the bucket, endpoint and prefix, and never credentials", () => {
    expect(describeArtifactStore("/x")).toBe("folder /x");
    expect(describeArtifactStore("s3://flock-artifacts/a?endpoint=http://127.0.0.1:9000")).toBe(
      "s3 bucket flock-artifacts at http://127.0.0.1:9000, prefix a/",
    );
    expect(describeArtifactStore("s3://flock-artifacts?region=eu-west-1")).toBe(
      "s3 bucket flock-artifacts at AWS S3 (eu-west-1)",
    );
  });
});

describe("openArtifactStore", () => {
  let folder = "";
  afterEach(async () => {
    vi.unstubAllEnvs();
    if (folder !== "") await rm(folder, { recursive: true, force: true });
    folder = "";
  });

  it("a folder path opens a FolderArtifactStore on that folder", async () => {
    folder = await mkdtemp(join(tmpdir(), "flock-open-artifacts-"));
    const store = openArtifactStore(folder);
    expect(store).toBeInstanceOf(FolderArtifactStore);
    const { id } = await store.put(new TextEncoder().encode("in a folder"), { maxBytes: 100 });
    expect(await new FolderArtifactStore(folder).has(id)).toBe(true);
  });

  it("an s3 URL opens an S3ArtifactStore that takes its credentials from the environment", async () => {
    const server = await startS3TestServer();
    const location = `s3://${server.bucket}/from-env?endpoint=${server.endpoint}`;
    const stores: S3ArtifactStore[] = [];
    try {
      vi.stubEnv("AWS_ACCESS_KEY_ID", S3RVER_CREDENTIALS.accessKeyId);
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", S3RVER_CREDENTIALS.secretAccessKey);
      const store = openArtifactStore(location);
      if (!(store instanceof S3ArtifactStore)) throw new Error("expected an S3ArtifactStore");
      stores.push(store);
      expect(store.prefix).toBe("from-env/");
      const bytes = new TextEncoder().encode("through the URL");
      expect(await store.put(bytes, { maxBytes: 100 })).toEqual({
        id: contentId(bytes),
        size: bytes.byteLength,
      });
      expect(Buffer.from(await store.read(contentId(bytes))).toString()).toBe("through the URL");

      // The same URL with a key the server does not know: the credentials really come from the environment.
      vi.stubEnv("AWS_ACCESS_KEY_ID", "SOMEONE-ELSE");
      const stranger = openArtifactStore(location) as S3ArtifactStore;
      stores.push(stranger);
      await expect(stranger.has(contentId(bytes))).rejects.toMatchObject({ code: "ARTIFACT_STORE_DENIED" });

      // An explicit environment (the CLI passes its own) wins over the process's.
      const given = openArtifactStore(location, {
        env: { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: "any" },
      }) as S3ArtifactStore;
      stores.push(given);
      expect(await given.has(contentId(bytes))).toBe(true);
    } finally {
      for (const store of stores) store.close();
      await server.close();
    }
  });
});
