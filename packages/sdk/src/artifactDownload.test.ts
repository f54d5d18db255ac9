import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { contentId } from "@flock/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlockClient } from "./client.ts";

describe("public artifact downloads are checked against their content id", () => {
  const real = new TextEncoder().encode("the published base model");
  let server: Server;
  let baseUrl = "";

  beforeAll(async () => {
    // A coordinator whose copy was replaced: it serves other bytes under the published id.
    server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/octet-stream" });
      response.end("swapped weights");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it("bytes that do not hash to the requested id are refused with both hashes", async () => {
    const client = createFlockClient({ baseUrl });
    await expect(client.artifacts.download(contentId(real))).rejects.toMatchObject({
      code: "ARTIFACT_HASH_MISMATCH",
      details: { expected: contentId(real), actual: contentId("swapped weights") },
    });
  });
});
