import { contentId, REQUEST_SIGNING } from "@flock/core";
import { sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { freshDataDir } from "../testing/templateDataDir.ts";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

describe("rate limits and publisher quotas (over real HTTP)", () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({
      dataDir: await freshDataDir(),
      config: {
        rateLimitWindowMs: 60_000,
        rateLimitPerIp: 20,
        rateLimitPerAccount: 5,
        publisherQuotaBytes: 1000,
      },
    });
    url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(() => t.dispose());

  async function publish(account: ReturnType<typeof privateKeyToAccount>, bytes: Uint8Array) {
    const path = `/artifacts/${contentId(bytes)}`;
    const headers = await signedHeaders({
      account,
      chainId: 31337,
      method: "PUT",
      path,
      bodyHash: sha256(bytes),
    });
    const response = await fetch(`${url}${path}`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/octet-stream" },
      body: bytes,
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as never };
  }

  it("an account past its allowance gets 429 RATE_LIMITED with retry-after; another account is unaffected", async () => {
    const busy = privateKeyToAccount(generatePrivateKey());
    const statuses: number[] = [];
    let limited: { status: number; headers: Headers; body: { code: string; hint: string } } | undefined;
    for (let i = 0; i < 7; i++) {
      const answer = await publish(busy, new TextEncoder().encode(`artifact ${i}`));
      statuses.push(answer.status);
      if (answer.status === 429) limited = answer;
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429]);
    expect(Number(limited?.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited?.body).toMatchObject({
      code: "RATE_LIMITED",
      hint: expect.stringContaining("retry-after"),
    });
    // The refused requests stored nothing.
    expect(await t.repos.artifacts.find(contentId("artifact 5"))).toBeUndefined();
    const other = privateKeyToAccount(generatePrivateKey());
    expect((await publish(other, new TextEncoder().encode("other's"))).status).toBe(201);
  });

  it("a claimed address cannot spend someone else's allowance: failed signatures count against the IP", async () => {
    const victim = privateKeyToAccount(generatePrivateKey());
    const forger = privateKeyToAccount(generatePrivateKey());
    for (let i = 0; i < 6; i++) {
      const bytes = new TextEncoder().encode(`forged ${i}`);
      const path = `/artifacts/${contentId(bytes)}`;
      const headers = await signedHeaders({
        account: forger,
        chainId: 31337,
        method: "PUT",
        path,
        bodyHash: sha256(bytes),
      });
      headers[REQUEST_SIGNING.headers.address] = victim.address;
      const response = await fetch(`${url}${path}`, {
        method: "PUT",
        headers: { ...headers, "content-type": "application/octet-stream" },
        body: bytes,
      });
      expect(response.status).toBe(401);
    }
    expect((await publish(victim, new TextEncoder().encode("victim's own"))).status).toBe(201);
  });

  it("unsigned requests are limited per IP", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await fetch(`${url}/health`)).status);
    expect(statuses).toContain(429);
    const refused = await fetch(`${url}/tasks`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { code: string }).code).toBe("RATE_LIMITED");
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);
  });
});

describe("per-publisher storage quota (20 unfunded keys cannot fill the disk)", () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({ dataDir: await freshDataDir(), config: { publisherQuotaBytes: 1000 } });
    url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(() => t.dispose());

  async function publish(account: ReturnType<typeof privateKeyToAccount>, bytes: Uint8Array) {
    const path = `/artifacts/${contentId(bytes)}`;
    const headers = await signedHeaders({
      account,
      chainId: 31337,
      method: "PUT",
      path,
      bodyHash: sha256(bytes),
    });
    const response = await fetch(`${url}${path}`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/octet-stream" },
      body: bytes,
    });
    return { status: response.status, body: (await response.json()) as { code?: string; hint?: string } };
  }

  it("a publisher past its quota is refused 413 PUBLISHER_QUOTA_EXCEEDED and nothing is stored", async () => {
    const keys = Array.from({ length: 20 }, () => privateKeyToAccount(generatePrivateKey()));
    let stored = 0;
    for (const [k, key] of keys.entries()) {
      expect((await publish(key, new Uint8Array(600).fill(k))).status).toBe(201);
      stored += 600;
      const second = await publish(key, new Uint8Array(600).fill(k + 100));
      expect(second.status).toBe(413);
      expect(second.body).toMatchObject({ code: "PUBLISHER_QUOTA_EXCEEDED", hint: expect.any(String) });
      expect(await t.repos.artifacts.find(contentId(new Uint8Array(600).fill(k + 100)))).toBeUndefined();
    }
    // Each key stored at most its quota; the refused uploads left nothing behind.
    for (const key of keys)
      expect(await t.repos.artifacts.bytesPublishedBy(key.address)).toBeLessThanOrEqual(1000);
    expect(stored).toBe(20 * 600);
    // Republishing what is already public costs nothing.
    expect((await publish(keys[0]!, new Uint8Array(600).fill(0))).status).toBe(200);
  });
});
