import { contentId } from "@flock/core";
import { type Hex, type LocalAccount, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

const publisher = privateKeyToAccount(generatePrivateKey());
const creator = privateKeyToAccount(generatePrivateKey());
const text = (s: string) => new TextEncoder().encode(s);

describe("public artifacts: publish by content id, served to anyone, never a hidden set", () => {
  let t: TestApp;

  async function publish(account: LocalAccount | null, id: string, bytes: Uint8Array, signedHash?: Hex) {
    if (account !== null) return t.upload(account, `/artifacts/${id}`, bytes, signedHash);
    return t.app.http.inject({
      method: "PUT",
      url: `/artifacts/${id}`,
      headers: { "content-type": "application/octet-stream" },
      payload: Buffer.from(bytes),
    });
  }

  function taskBody(overrides: Record<string, unknown>) {
    const now = Date.now();
    return {
      title: "t",
      description: "d",
      type: "lm-lora",
      contextLength: 64,
      maxTrainableParams: 1000,
      validationCommitment: contentId("hidden set"),
      submissionDeadline: new Date(now + 3_600_000).toISOString(),
      endTime: new Date(now + 7_200_000).toISOString(),
      rewardWeight: "1",
      minStake: "0",
      minLockDays: 0,
      ...overrides,
    };
  }

  beforeAll(async () => {
    t = await startTestApp({ config: { maxPublicArtifactBytes: 1000 } });
  });
  afterAll(async () => {
    await t.dispose();
  });

  it("a signed upload publishes the bytes; anyone downloads exactly them by content id", async () => {
    const bytes = text("base model weights");
    const id = contentId(bytes);
    const created = await publish(publisher, id, bytes);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id,
      size: bytes.length,
      publishedBy: publisher.address.toLowerCase(),
    });

    const download = await t.app.http.inject({ method: "GET", url: `/artifacts/${id}` });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload.equals(Buffer.from(bytes))).toBe(true);
    expect(download.headers["content-length"]).toBe(String(bytes.length));
    expect(download.headers.etag).toBe(`"${id}"`);
    const cached = await t.app.http.inject({
      method: "GET",
      url: `/artifacts/${id}`,
      headers: { "if-none-match": `"${id}"` },
    });
    expect(cached.statusCode).toBe(304);
    const head = await t.app.http.inject({ method: "HEAD", url: `/artifacts/${id}` });
    expect(head.statusCode).toBe(200);
    expect(head.headers["content-length"]).toBe(String(bytes.length));
    expect(head.rawPayload.length).toBe(0);
    expect((await t.app.http.inject({ method: "GET", url: `/artifacts/${id}/info` })).json()).toMatchObject({
      id,
      size: bytes.length,
    });

    // Publishing the same content again (by anyone) changes nothing.
    const again = await publish(creator, id, bytes);
    expect(again.statusCode).toBe(200);
    expect(again.json().publishedBy).toBe(publisher.address.toLowerCase());
  });

  it("bytes that do not hash to the id, unsigned and oversized uploads are refused and publish nothing", async () => {
    const claimed = contentId("what the path names");
    const mismatch = await publish(
      publisher,
      claimed,
      text("other bytes"),
      sha256(text("what the path names")),
    );
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().code).toBe("ARTIFACT_HASH_MISMATCH");
    expect((await t.app.http.inject({ method: "GET", url: `/artifacts/${claimed}` })).statusCode).toBe(404);

    const unsigned = await publish(null, contentId("x"), text("x"));
    expect(unsigned.statusCode).toBe(401);

    const big = new Uint8Array(1001);
    const oversized = await publish(publisher, contentId(big), big);
    expect(oversized.statusCode).toBe(413);
    expect(oversized.json().code).toBe("ARTIFACT_TOO_LARGE");
    expect(await t.artifacts.has(contentId(big))).toBe(false);

    const malformed = await t.app.http.inject({ method: "GET", url: "/artifacts/sha256:..%2F..%2Fetc" });
    expect(malformed.statusCode).toBe(400);
  });

  it("stored but unpublished artifacts (submissions, reports) are not served", async () => {
    const stored = await t.artifacts.put(text("a trainer's adapter"), { maxBytes: 100 });
    await t.repos.artifacts.record({ ...stored, mediaType: "application/octet-stream" });
    const response = await t.app.http.inject({ method: "GET", url: `/artifacts/${stored.id}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: "ARTIFACT_NOT_PUBLIC", hint: expect.any(String) });
  });

  it("a task needs its base model and training set published, and its hidden set unpublished", async () => {
    const base = (await publish(publisher, contentId("base"), text("base"))).json().id;
    const train = (await publish(publisher, contentId("train"), text("train"))).json().id;

    const missing = await t.signed(
      creator,
      "POST",
      "/tasks",
      taskBody({ baseModel: base, trainingSetId: contentId("nope") }),
    );
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({
      code: "TASK_ARTIFACT_NOT_PUBLISHED",
      details: { field: "trainingSetId" },
    });

    const leaked = (await publish(publisher, contentId("leaked"), text("leaked"))).json().id;
    const publicHidden = await t.signed(
      creator,
      "POST",
      "/tasks",
      taskBody({ baseModel: base, trainingSetId: train, validationCommitment: leaked }),
    );
    expect(publicHidden.statusCode).toBe(400);
    expect(publicHidden.json().code).toBe("VALIDATION_SET_PUBLIC");

    const created = await t.signed(
      creator,
      "POST",
      "/tasks",
      taskBody({ baseModel: base, trainingSetId: train }),
    );
    expect(created.statusCode).toBe(201);

    // The task's hidden set can no longer be published, and is never served from /artifacts.
    const hidden = text("hidden set");
    const refused = await publish(creator, contentId(hidden), hidden);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe("HIDDEN_SET_NOT_PUBLISHABLE");
    const uploaded = await t.upload(creator, `/tasks/${created.json().id}/validation-set`, hidden);
    expect(uploaded.statusCode).toBe(200);
    expect(await t.artifacts.has(contentId(hidden))).toBe(true);
    expect(
      (await t.app.http.inject({ method: "GET", url: `/artifacts/${contentId(hidden)}` })).statusCode,
    ).toBe(404);
  });
});
