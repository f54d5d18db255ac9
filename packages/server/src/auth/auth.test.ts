import { contentId, REQUEST_SIGNING, sha256Hex } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

const alice = privateKeyToAccount(generatePrivateKey());
const mallory = privateKeyToAccount(generatePrivateKey());
const now = () => Math.floor(Date.now() / 1000);

function taskBody(): Record<string, unknown> {
  return {
    title: "t",
    description: "d",
    type: "lm-lora",
    baseModel: contentId("base model"),
    contextLength: 64,
    maxTrainableParams: 1000,
    trainingSetId: contentId("train"),
    // Every task commits to its own hidden set (a reused one is refused).
    validationCommitment: contentId(`hidden ${crypto.randomUUID()}`),
    submissionDeadline: new Date(Date.now() + 3_600_000).toISOString(),
    endTime: new Date(Date.now() + 7_200_000).toISOString(),
    rewardWeight: "1",
    minStake: "0",
    minLockDays: 0,
  };
}

describe("signed requests (EIP-712 FlockRequest)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.publish("base model");
    await t.publish("train");
  });
  afterAll(() => t.dispose());

  async function send(headers: Record<string, string>, payload: string) {
    return t.app.http.inject({
      method: "POST",
      url: "/tasks",
      headers: { ...headers, "content-type": "application/json" },
      payload,
    });
  }

  it("a correctly signed request is accepted and attributed to its signer", async () => {
    const response = await t.signed(alice, "POST", "/tasks", taskBody());
    expect(response.statusCode).toBe(201);
    expect(response.json().creator).toBe(alice.address.toLowerCase());
  });

  it("an unsigned request is refused with AUTH_REQUIRED", async () => {
    const response = await send({}, JSON.stringify(taskBody()));
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: "AUTH_REQUIRED", hint: expect.any(String) });
  });

  it("a replayed request is refused with REQUEST_REPLAYED", async () => {
    const payload = JSON.stringify(taskBody());
    const headers = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body: payload,
    });
    expect((await send(headers, payload)).statusCode).toBe(201);
    const replay = await send(headers, payload);
    expect(replay.statusCode).toBe(401);
    expect(replay.json().code).toBe("REQUEST_REPLAYED");
  });

  it("a request signed more than 60 s ago or ahead is refused with AUTH_EXPIRED", async () => {
    const payload = JSON.stringify(taskBody());
    for (const timestamp of [now() - 61, now() + 61]) {
      const headers = await signedHeaders({
        account: alice,
        chainId: 31337,
        method: "POST",
        path: "/tasks",
        body: payload,
        timestamp,
      });
      const response = await send(headers, payload);
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe("AUTH_EXPIRED");
    }
    const inWindow = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body: payload,
      timestamp: now() - 50,
    });
    expect((await send(inWindow, payload)).statusCode).toBe(201);
  });

  it("a forged signature, a tampered body, another path or another chain are refused with AUTH_BAD_SIGNATURE", async () => {
    const payload = JSON.stringify(taskBody());
    const forged = await signedHeaders({
      account: mallory,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body: payload,
    });
    forged[REQUEST_SIGNING.headers.address] = alice.address; // claims to be alice
    const tampered = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body: payload,
    });
    const otherPath = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks?x=1",
      body: payload,
    });
    const otherChain = await signedHeaders({
      account: alice,
      chainId: 1,
      method: "POST",
      path: "/tasks",
      body: payload,
    });
    const cases: [Record<string, string>, string][] = [
      [forged, payload],
      [tampered, payload.replace('"rewardWeight":"1"', '"rewardWeight":"9"')],
      [otherPath, payload],
      [otherChain, payload],
    ];
    for (const [headers, body] of cases) {
      const response = await send(headers, body);
      expect(response.statusCode).toBe(401);
      expect(response.json().code).toBe("AUTH_BAD_SIGNATURE");
    }
  });

  it("malformed headers are refused with AUTH_MALFORMED", async () => {
    const payload = JSON.stringify(taskBody());
    const headers = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body: payload,
    });
    const response = await send({ ...headers, [REQUEST_SIGNING.headers.nonce]: "0x1234" }, payload);
    expect(response.statusCode).toBe(401);
    expect(response.json().code).toBe("AUTH_MALFORMED");
  });

  it("the body hash is the sha256 of the raw bytes, so whitespace the client sent is part of it", async () => {
    const payload = `  ${JSON.stringify(taskBody())}\n`;
    const headers = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      bodyHash: `0x${sha256Hex(payload)}`,
    });
    expect((await send(headers, payload)).statusCode).toBe(201);
  });
});
