import type { ArtifactStore } from "./artifactStore.ts";
import { type ArtifactStoreLocation, parseArtifactStoreLocation } from "./artifactStoreLocation.ts";
import { FolderArtifactStore } from "./folderArtifactStore.ts";
import { S3ArtifactStore } from "./s3ArtifactStore.ts";

export interface OpenArtifactStoreOptions {
  /** The folder used when the location is empty (e.g. `<FLOCK_HOME>/artifacts`). */
  defaultFolder?: string;
  /** Re-hash artifacts on every read (default false). */
  verifyOnRead?: boolean;
  /** Where an S3 store spools uploads (default os.tmpdir()). */
  spoolDir?: string;
  /**
   * Environment to take AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) from; without both
   * keys there, the AWS SDK's standard chain (process environment, profile, role) applies.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Static credentials from an environment that names both keys, else undefined (the SDK's chain). */
function credentialsFrom(env: OpenArtifactStoreOptions["env"]) {
  const accessKeyId = env?.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env?.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = env?.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

/**
 * Open the artifact store a location names: a folder path → FolderArtifactStore, an s3:// URL →
 * S3ArtifactStore with credentials from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, profile, role). Call `close()` on an S3ArtifactStore at shutdown.
 * @example openArtifactStore(process.env.FLOCK_ARTIFACTS, { defaultFolder: join(home, "artifacts") })
 */
export function openArtifactStore(
  location: string | undefined,
  options: OpenArtifactStoreOptions = {},
): ArtifactStore {
  const parsed = parseArtifactStoreLocation(location, options);
  const verifyOnRead = options.verifyOnRead ?? false;
  switch (parsed.kind) {
    case "folder":
      return new FolderArtifactStore(parsed.path, { verifyOnRead });
    case "s3": {
      const credentials = credentialsFrom(options.env);
      return new S3ArtifactStore({
        bucket: parsed.bucket,
        prefix: parsed.prefix,
        ...(parsed.endpoint === undefined ? {} : { endpoint: parsed.endpoint }),
        region: parsed.region,
        forcePathStyle: parsed.forcePathStyle,
        ...(options.spoolDir === undefined ? {} : { spoolDir: options.spoolDir }),
        ...(credentials === undefined ? {} : { credentials }),
        verifyOnRead,
      });
    }
    default:
      return parsed satisfies never;
  }
}

/** A short description of a parsed location for logs; it never holds secrets. */
export function describeArtifactStoreLocation(location: ArtifactStoreLocation): string {
  switch (location.kind) {
    case "folder":
      return `folder ${location.path}`;
    case "s3": {
      const where = location.endpoint ?? `AWS S3 (${location.region})`;
      return `s3 bucket ${location.bucket} at ${where}${location.prefix === "" ? "" : `, prefix ${location.prefix}`}`;
    }
    default:
      return location satisfies never;
  }
}

/**
 * Describe where a location points, for logs: "folder /x" or "s3 bucket b at http://host:9000, prefix a/".
 * @example describeArtifactStore("s3://flock-artifacts/a?endpoint=http://127.0.0.1:9000")
 */
export function describeArtifactStore(
  location: string | undefined,
  options: { defaultFolder?: string } = {},
): string {
  return describeArtifactStoreLocation(parseArtifactStoreLocation(location, options));
}
