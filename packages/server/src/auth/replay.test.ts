import { contentId, REQUEST_SIGNING } from "@flock/core";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RECORDING_REQUEST_VERIFIER } from "../testing/recordingChainGateway.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

const alice = privateKeyToAccount(generatePrivateKey());
const h = REQUEST_SIGNING.headers;
/** secp256k1's group order: (r, n − s) with v flipped is the same signature's malleable twin. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function taskBody(): string {
  return JSON.stringify({
    title: "t",
    description: "d",
    type: "lm-lora",
    baseModel: contentId("base model"),
    contextLength: 64,
    maxTrainableParams: 1000,
    trainingSetId: contentId("train"),
    validationCommitment: contentId(`hidden ${crypto.randomUUID()}`),
    submissionDeadline: new Date(Date.now() + 3_600_000).toISOString(),
    endTime: new Date(Date.now() + 7_200_000).toISOString(),
    rewardWeight: "1",
    minStake: "0",
    minLockDays: 0,
  });
}

/** Every other spelling of one signed request's headers that a lax parser would read as the same request. */
function otherEncodings(headers: Record<string, string>): [string, Record<string, string>][] {
  const nonce = headers[h.nonce]!;
  const signature = headers[h.signature]!;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  const twin = `${signature.slice(0, 66)}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
  const mixedNonce = `0x${[...nonce.slice(2)].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join("")}`;
  return [
    ["upper-case nonce", { ...headers, [h.nonce]: `0x${nonce.slice(2).toUpperCase()}` }],
    ["mixed-case nonce", { ...headers, [h.nonce]: mixedNonce }],
    ["upper-case 0X prefix", { ...headers, [h.nonce]: `0X${nonce.slice(2)}` }],
    ["lower-case address", { ...headers, [h.address]: headers[h.address]!.toLowerCase() }],
    ["upper-case address", { ...headers, [h.address]: `0x${headers[h.address]!.slice(2).toUpperCase()}` }],
    ["timestamp with a leading zero", { ...headers, [h.timestamp]: `0${headers[h.timestamp]}` }],
    ["timestamp with a plus sign", { ...headers, [h.timestamp]: `+${headers[h.timestamp]}` }],
    ["upper-case signature", { ...headers, [h.signature]: `0x${signature.slice(2).toUpperCase()}` }],
    ["high-s twin of the signature", { ...headers, [h.signature]: twin }],
    [
      "v as 0/1",
      { ...headers, [h.signature]: `${signature.slice(0, 130)}${(v - 27).toString(16).padStart(2, "0")}` },
    ],
  ];
}

describe("replays over real HTTP are refused in every encoding", () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({ config: { noncePruneMs: 50 } });
    await t.publish("base model");
    await t.publish("train");
    url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(() => t.dispose());

  const post = (headers: Record<string, string>, body: string) =>
    fetch(`${url}/tasks`, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body,
    });

  it("one signed request creates one task; the same request re-spelled is never accepted again", async () => {
    const before = (await t.repos.tasks.list({ limit: 500 })).items.length;
    const body = taskBody();
    const headers = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body,
    });
    const first = await post(headers, body);
    expect(first.status).toBe(201);
    const answers: [string, number, string][] = [];
    for (const [name, encoding] of [["as sent", headers] as const, ...otherEncodings(headers)]) {
      const response = await post(encoding, body);
      answers.push([name, response.status, ((await response.json()) as { code: string }).code]);
    }
    for (const [name, status, code] of answers) {
      expect({ name, status }).toEqual({ name, status: 401 });
      expect(["REQUEST_REPLAYED", "AUTH_MALFORMED", "AUTH_BAD_SIGNATURE"]).toContain(code);
    }
    // The case variants carry a valid signature: the nonce, lowercased, is what refuses them.
    expect(answers.find(([name]) => name === "upper-case nonce")?.[2]).toBe("REQUEST_REPLAYED");
    expect(answers.find(([name]) => name === "mixed-case nonce")?.[2]).toBe("REQUEST_REPLAYED");
    expect(answers.find(([name]) => name === "upper-case signature")?.[2]).toBe("REQUEST_REPLAYED");
    expect(answers.find(([name]) => name === "high-s twin of the signature")?.[2]).toBe("AUTH_MALFORMED");
    expect((await t.repos.tasks.list({ limit: 500 })).items.length).toBe(before + 1);
  });

  it("a first request whose nonce is sent in upper case is recorded lowercased, so the lower-case copy is a replay", async () => {
    const body = taskBody();
    const headers = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body,
    });
    const upper = { ...headers, [h.nonce]: `0x${headers[h.nonce]!.slice(2).toUpperCase()}` };
    expect((await post(upper, body)).status).toBe(201);
    const replay = await post(headers, body);
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as { code: string }).code).toBe("REQUEST_REPLAYED");
  });

  it("a request signed for another deployment on the same chain id is refused with AUTH_BAD_SIGNATURE", async () => {
    const health = (await (await fetch(`${url}/health`)).json()) as {
      chainId: number;
      requestVerifier: string;
    };
    expect(health).toMatchObject({ ok: true, chainId: 31337, requestVerifier: RECORDING_REQUEST_VERIFIER });
    const body = taskBody();
    const before = (await t.repos.tasks.list({ limit: 500 })).items.length;
    const elsewhere = await signedHeaders({
      account: alice,
      chainId: 31337,
      verifyingContract: "0x5fbdb2315678afecb367f032d93f642f64180aa3",
      method: "POST",
      path: "/tasks",
      body,
    });
    const refused = await post(elsewhere, body);
    expect(refused.status).toBe(401);
    const error = (await refused.json()) as { code: string; hint: string };
    expect(error.code).toBe("AUTH_BAD_SIGNATURE");
    expect(error.hint).toContain("requestVerifier");
    expect((await t.repos.tasks.list({ limit: 500 })).items.length).toBe(before);
  });

  it("the app's timer forgets used nonces once their requests expired", async () => {
    const past = new Date(Date.now() - 120_000);
    const nonces = [0, 1, 2, 3, 4].map((i) => `0x${(i + 1).toString(16).padStart(64, "0")}`);
    for (const nonce of nonces) await t.repos.nonces.record(alice.address, nonce, past);
    // Kept until pruned: recording one again is a replay.
    const again = (nonce: string) =>
      t.repos.nonces.record(alice.address, nonce, past).then(
        () => "recorded",
        (error: { code?: string }) => error.code,
      );
    expect(await again(nonces[0]!)).toBe("REQUEST_REPLAYED");
    t.app.start();
    await new Promise((r) => setTimeout(r, 300));
    // After a few timer ticks every expired nonce is gone: each records as new.
    for (const nonce of nonces.slice(1)) expect(await again(nonce)).toBe("recorded");
    // Nonces still inside their window are kept: a fresh request's nonce is still refused as a replay.
    const body = taskBody();
    const headers = await signedHeaders({
      account: alice,
      chainId: 31337,
      method: "POST",
      path: "/tasks",
      body,
    });
    expect((await post(headers, body)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 200));
    expect((await post(headers, body)).status).toBe(401);
  });
});
