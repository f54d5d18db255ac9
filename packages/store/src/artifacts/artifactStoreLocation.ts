import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@flock/core";
import { normalizeS3Prefix } from "./s3ArtifactStore.ts";

/** Where artifacts live, parsed from configuration (`FLOCK_ARTIFACTS`, `--artifacts`). */
export type ArtifactStoreLocation =
  | { kind: "folder"; path: string }
  | {
      kind: "s3";
      bucket: string;
      /** Empty or ending in "/". */
      prefix: string;
      /** An S3-compatible endpoint; AWS S3 when absent. */
      endpoint: string | undefined;
      region: string;
      forcePathStyle: boolean;
    };

const ACCEPTED_FORMS =
  "use a folder path (/var/flock/artifacts, ./artifacts, file:///var/flock/artifacts) or " +
  "s3://<bucket>[/<prefix>][?endpoint=http(s)://host:port&region=<region>&pathStyle=true|false]";

const QUERY_PARAMETERS = new Set(["endpoint", "region", "pathStyle"]);
// S3 bucket naming rules: 3–63 characters, lowercase letters, digits, dots and hyphens, alphanumeric ends.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]+$/;
// A URL scheme of two or more characters; a single letter followed by ":" is a Windows drive, not a scheme.
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]+):/;

function invalid(location: string, problem: string): ConfigError {
  return new ConfigError(
    "ARTIFACT_STORE_URL_INVALID",
    `artifact store ${JSON.stringify(location)}: ${problem}`,
    {
      hint: ACCEPTED_FORMS,
      details: { location },
    },
  );
}

function parseEndpoint(location: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(location, `endpoint ${JSON.stringify(value)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalid(location, `endpoint ${JSON.stringify(value)} is not an http(s) URL`);
  }
  if (url.username !== "" || url.password !== "") {
    throw invalid(
      location,
      "the endpoint holds credentials; set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY instead",
    );
  }
  if (url.search !== "" || url.hash !== "") {
    throw invalid(location, `endpoint ${JSON.stringify(value)} has a query or fragment`);
  }
  return url.href.replace(/\/+$/, "");
}

function parseS3(location: string): ArtifactStoreLocation {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw invalid(location, "not a valid URL");
  }
  if (!/^s3:\/\//i.test(location)) throw invalid(location, "an s3 URL starts with s3://");
  if (url.username !== "" || url.password !== "") {
    throw invalid(
      location,
      "the URL holds credentials; set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY instead",
    );
  }
  if (url.port !== "") throw invalid(location, "an s3 URL names a bucket, not a host:port (use ?endpoint=)");
  if (url.hash !== "") throw invalid(location, "an s3 URL has no #fragment");
  const bucket = url.hostname;
  if (bucket === "") throw invalid(location, "the bucket name is empty");
  if (!BUCKET_NAME.test(bucket) || bucket.includes("..")) {
    throw invalid(location, `${JSON.stringify(bucket)} is not a valid bucket name (3–63 of a-z 0-9 . -)`);
  }

  let rawPrefix: string;
  try {
    rawPrefix = decodeURIComponent(url.pathname.replace(/^\//, ""));
  } catch {
    throw invalid(location, "the prefix is not valid percent-encoding");
  }
  const segments = rawPrefix === "" ? [] : rawPrefix.replace(/\/$/, "").split("/");
  if (segments.includes("")) {
    throw invalid(location, `the prefix ${JSON.stringify(rawPrefix)} has an empty path segment`);
  }

  const seen = new Set<string>();
  for (const [key, value] of url.searchParams) {
    if (!QUERY_PARAMETERS.has(key)) throw invalid(location, `unknown parameter ${JSON.stringify(key)}`);
    if (seen.has(key)) throw invalid(location, `parameter ${JSON.stringify(key)} is given twice`);
    if (value === "") throw invalid(location, `parameter ${JSON.stringify(key)} is empty`);
    seen.add(key);
  }
  const endpointValue = url.searchParams.get("endpoint");
  const endpoint = endpointValue === null ? undefined : parseEndpoint(location, endpointValue);
  const region = url.searchParams.get("region") ?? "us-east-1";
  if (!REGION.test(region)) throw invalid(location, `${JSON.stringify(region)} is not a region name`);
  const pathStyle = url.searchParams.get("pathStyle");
  if (pathStyle !== null && pathStyle !== "true" && pathStyle !== "false") {
    throw invalid(location, `pathStyle must be true or false, not ${JSON.stringify(pathStyle)}`);
  }
  // S3-compatible servers (MinIO, s3rver…) mostly need path-style addressing; AWS prefers virtual hosts.
  const forcePathStyle = pathStyle === null ? endpoint !== undefined : pathStyle === "true";
  return { kind: "s3", bucket, prefix: normalizeS3Prefix(rawPrefix), endpoint, region, forcePathStyle };
}

/**
 * Parse an artifact store location: a folder path (relative paths resolve against the working folder),
 * a `file://` URL, or `s3://bucket/prefix?endpoint=…&region=…&pathStyle=…`. An empty location means
 * `defaultFolder`. Anything else is ConfigError ARTIFACT_STORE_URL_INVALID.
 */
export function parseArtifactStoreLocation(
  location: string | undefined,
  options: { defaultFolder?: string } = {},
): ArtifactStoreLocation {
  const trimmed = location?.trim() ?? "";
  if (trimmed === "") {
    if (options.defaultFolder === undefined) throw invalid("", "no artifact store location was given");
    return { kind: "folder", path: resolve(options.defaultFolder) };
  }
  const scheme = SCHEME.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return { kind: "folder", path: resolve(trimmed) };
  if (scheme === "s3") return parseS3(trimmed);
  if (scheme === "file") {
    try {
      return { kind: "folder", path: fileURLToPath(trimmed) };
    } catch {
      throw invalid(trimmed, "not a valid file:// URL (use file:///absolute/path)");
    }
  }
  throw invalid(trimmed, `unknown scheme ${JSON.stringify(`${scheme}:`)}`);
}
