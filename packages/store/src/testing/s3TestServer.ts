import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import S3rver from "s3rver";

/** s3rver's fixed development key pair: it refuses other access key ids (it does not check signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export interface S3TestServer {
  endpoint: string;
  port: number;
  bucket: string;
  /** Stop the server and delete its folder. */
  close(): Promise<void>;
}

/** Start s3rver (a real S3 HTTP server in Node) on 127.0.0.1 at a free port, in a fresh temp folder. */
export async function startS3TestServer(bucket = "flock-artifacts"): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), "flock-s3rver-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    close: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
