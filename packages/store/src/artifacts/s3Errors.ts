import { FlockError, StorageError } from "@flock/core";

/** Where an S3 store points, for error messages (never credentials). */
export interface S3Place {
  bucket: string;
  /** The endpoint URL, or a description such as "AWS S3 (us-east-1)". */
  where: string;
}

interface S3ErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shapeOf(error: unknown): S3ErrorShape {
  return typeof error === "object" && error !== null ? (error as S3ErrorShape) : {};
}

function statusOf(error: unknown): number | undefined {
  const status = shapeOf(error).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** A 404 for an object: GetObject says NoSuchKey; HeadObject has no body, so only "NotFound"/404. */
export function isMissingObject(error: unknown): boolean {
  const name = shapeOf(error).name;
  if (name === "NoSuchBucket") return false;
  return name === "NoSuchKey" || name === "NotFound" || statusOf(error) === 404;
}

const DENIED_NAMES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
  "CredentialsProviderError",
]);

// Socket-level failures: the endpoint is down, unreachable, or its name does not resolve.
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

export function artifactBucketNotFound(place: S3Place, cause: unknown): StorageError {
  return new StorageError(
    "ARTIFACT_BUCKET_NOT_FOUND",
    `S3 bucket ${place.bucket} does not exist at ${place.where}`,
    {
      hint: "create the bucket, or check the bucket name and endpoint in the artifact store URL",
      details: { bucket: place.bucket, where: place.where },
      cause,
    },
  );
}

/**
 * Translate an S3 client failure into a FlockError with a hint (missing objects are left to the caller,
 * which knows the content id). FlockErrors pass through unchanged; the original error is kept as `cause`.
 */
export function s3StoreError(error: unknown, place: S3Place): FlockError {
  if (error instanceof FlockError) return error;
  const { name, code } = shapeOf(error);
  const status = statusOf(error);
  const details = { bucket: place.bucket, where: place.where, s3Error: name, status };
  if (name === "NoSuchBucket") return artifactBucketNotFound(place, error);
  if ((typeof name === "string" && DENIED_NAMES.has(name)) || status === 401 || status === 403) {
    const what =
      name === "CredentialsProviderError" ? "no S3 credentials were found" : "S3 refused the credentials";
    return new StorageError("ARTIFACT_STORE_DENIED", `${what} for bucket ${place.bucket} at ${place.where}`, {
      hint: "check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) and the key's access to the bucket",
      details,
      cause: error,
    });
  }
  if ((typeof code === "string" && UNREACHABLE_CODES.has(code)) || name === "TimeoutError") {
    return new StorageError("ARTIFACT_STORE_UNREACHABLE", `cannot reach the S3 endpoint ${place.where}`, {
      hint: "check that the S3 endpoint is up and that the endpoint in the artifact store URL is right",
      details: { ...details, code },
      cause: error,
    });
  }
  return new StorageError(
    "ARTIFACT_STORE_FAILED",
    `S3 request to bucket ${place.bucket} at ${place.where} failed: ${String(name ?? error)}`,
    {
      hint: "see the cause; check the S3 service's status and logs, then retry",
      details,
      cause: error,
    },
  );
}
