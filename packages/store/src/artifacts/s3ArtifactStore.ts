import { randomUUID } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import {
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { ConfigError, type ContentId, parseContentId, StorageError } from "@flock/core";
import { artifactNotFound, checkMaxBytes } from "./artifactErrors.ts";
import type { ArtifactInfo, ArtifactSource, ArtifactStore, PutOptions } from "./artifactStore.ts";
import { artifactBucketNotFound, isMissingObject, type S3Place, s3StoreError } from "./s3Errors.ts";
import { spoolArtifact } from "./spoolArtifact.ts";
import { verifyArtifactStream } from "./verifyArtifactStream.ts";

export interface S3ArtifactStoreOptions {
  bucket: string;
  /** Key prefix, so several deployments can share a bucket; "/" is appended when missing (default ""). */
  prefix?: string;
  /** A ready client; when given, the connection options below must be left out. */
  client?: S3Client;
  /** An S3-compatible endpoint (MinIO, Ceph, R2, s3rver…); AWS S3 when absent. */
  endpoint?: string;
  /** Default "us-east-1". */
  region?: string;
  /** Default: the AWS SDK's standard chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, role…). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Address buckets as `<endpoint>/<bucket>` (most S3-compatible servers need it); default false. */
  forcePathStyle?: boolean;
  /** Attempts per request, including the first (default 3). Uploads are not retried (see put). */
  maxAttempts?: number;
  /** Give up connecting after this long (default 5000 ms). */
  connectionTimeoutMs?: number;
  /** Where uploads are spooled while being hashed and counted (default os.tmpdir()). */
  spoolDir?: string;
  /** Re-hash artifacts on every read and fail with ARTIFACT_CORRUPT if the bytes changed (default false). */
  verifyOnRead?: boolean;
}

/** A key prefix ends in "/" unless empty, and does not start with one. */
export function normalizeS3Prefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "");
  return trimmed === "" || trimmed.endsWith("/") ? trimmed : `${trimmed}/`;
}

function hexToBase64(hex: string): string {
  return Buffer.from(hex, "hex").toString("base64");
}

/**
 * Content-addressed artifacts in an S3-compatible bucket under `<prefix>sha256/<hex>`. Uploads are spooled
 * to a local file while hashed and counted (so a refused upload never reaches S3), then sent with one
 * PutObject, which S3 makes visible only once complete: a failed put leaves nothing under a content id.
 */
export class S3ArtifactStore implements ArtifactStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #place: S3Place;
  readonly #spoolDir: string;
  readonly #verifyOnRead: boolean;
  #bucketSeen = false;

  constructor(options: S3ArtifactStoreOptions) {
    if (options.bucket === "") {
      throw new ConfigError("ARTIFACT_BUCKET_MISSING", "the S3 artifact store needs a bucket name", {
        hint: "pass { bucket: 'flock-artifacts' }, or use s3://<bucket>/<prefix> as the artifact store URL",
      });
    }
    this.bucket = options.bucket;
    this.prefix = normalizeS3Prefix(options.prefix ?? "");
    this.#spoolDir = options.spoolDir ?? tmpdir();
    this.#verifyOnRead = options.verifyOnRead ?? false;
    const region = options.region ?? "us-east-1";
    this.#place = { bucket: options.bucket, where: options.endpoint ?? `AWS S3 (${region})` };
    if (options.client !== undefined) {
      const conflicting = (
        ["endpoint", "region", "credentials", "forcePathStyle", "maxAttempts", "connectionTimeoutMs"] as const
      ).filter((key) => options[key] !== undefined);
      if (conflicting.length > 0) {
        throw new ConfigError(
          "ARTIFACT_STORE_OPTIONS_CONFLICT",
          `both a client and ${conflicting.join(", ")} given`,
          {
            hint: "configure the S3Client you pass, or pass the connection options without a client",
          },
        );
      }
      this.#client = options.client;
      this.#ownsClient = false;
      return;
    }
    this.#client = new S3Client({
      region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      forcePathStyle: options.forcePathStyle ?? false,
      // Without these the SDK sends aws-chunked bodies with CRC32 trailers, which S3-compatible servers
      // other than AWS may not understand; integrity is covered by the x-amz-checksum-sha256 we send.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: { connectionTimeout: options.connectionTimeoutMs ?? 5000 },
    });
    this.#ownsClient = true;
  }

  /** The object key of an artifact. */
  keyOf(id: string): string {
    return `${this.prefix}sha256/${parseContentId(id).slice("sha256:".length)}`;
  }

  async put(source: ArtifactSource, options: PutOptions): Promise<ArtifactInfo> {
    checkMaxBytes(options.maxBytes);
    const expected = options.expectedId === undefined ? undefined : parseContentId(options.expectedId);
    await mkdir(this.#spoolDir, { recursive: true });
    const spoolPath = join(this.#spoolDir, `flock-artifact-${randomUUID()}.part`);
    let body: ReadStream | undefined;
    try {
      const info = await spoolArtifact(source, spoolPath, {
        maxBytes: options.maxBytes,
        expected,
        sync: false,
      });
      // Same content already stored: the store is idempotent and skips the upload.
      if ((await this.#sizeOf(info.id)) === info.size) return info;
      body = createReadStream(spoolPath);
      // The SDK cannot rewind a stream, so it does not retry this request; a failed upload fails the put
      // and the caller retries it. S3 verifies x-amz-checksum-sha256 against the bytes it received.
      const upload = new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.keyOf(info.id),
        Body: body,
        ContentLength: info.size,
        ContentType: "application/octet-stream",
        ChecksumSHA256: hexToBase64(info.id.slice("sha256:".length)),
        Metadata: { "content-id": info.id },
      });
      await this.#client.send(upload).catch((error: unknown) => {
        throw s3StoreError(error, this.#place);
      });
      return info;
    } finally {
      body?.destroy();
      await rm(spoolPath, { force: true });
    }
  }

  async get(id: string): Promise<Readable> {
    const parsed = parseContentId(id);
    let body: unknown;
    try {
      body = (await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(parsed) })))
        .Body;
    } catch (error) {
      if (isMissingObject(error)) throw artifactNotFound(parsed);
      throw s3StoreError(error, this.#place);
    }
    if (!(body instanceof Readable)) {
      throw new StorageError("ARTIFACT_STORE_FAILED", `S3 returned no readable body for ${parsed}`, {
        hint: "this store needs Node's HTTP handler (the default S3Client in Node)",
      });
    }
    return this.#verifyOnRead ? verifyArtifactStream(body, parsed) : body;
  }

  async read(id: string): Promise<Uint8Array> {
    const stream = await this.get(id);
    try {
      const bytes = await buffer(stream);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw s3StoreError(error, this.#place);
    }
  }

  async has(id: string): Promise<boolean> {
    return (await this.#sizeOf(parseContentId(id))) !== undefined;
  }

  async stat(id: string): Promise<ArtifactInfo> {
    const parsed = parseContentId(id);
    const size = await this.#sizeOf(parsed);
    if (size === undefined) throw artifactNotFound(parsed);
    return { id: parsed, size };
  }

  /** Close the connections of a client this store created (a passed-in client is left to its owner). */
  close(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  /** An artifact's size, or undefined when absent. */
  async #sizeOf(id: ContentId): Promise<number | undefined> {
    try {
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(id) }),
      );
      if (head.ContentLength === undefined) {
        throw new StorageError(
          "ARTIFACT_STORE_FAILED",
          `S3 gave no size for ${id} in bucket ${this.bucket}`,
          {
            hint: "the S3-compatible server must send Content-Length on HeadObject; check its version",
          },
        );
      }
      return head.ContentLength;
    } catch (error) {
      if (!isMissingObject(error)) throw s3StoreError(error, this.#place);
    }
    await this.#checkBucket();
    return undefined;
  }

  /**
   * A HEAD 404 has no body, so "no such key" and "no such bucket" look the same; ask about the bucket
   * once, so a misconfigured bucket fails loudly instead of every artifact looking absent.
   */
  async #checkBucket(): Promise<void> {
    if (this.#bucketSeen) return;
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (isMissingObject(error)) throw artifactBucketNotFound(this.#place, error);
      throw s3StoreError(error, this.#place);
    }
    this.#bucketSeen = true;
  }
}
