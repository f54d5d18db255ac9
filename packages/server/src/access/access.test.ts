import { createHash } from "node:crypto";
import type { wire } from "@flock/core";
import { usageCost } from "@flock/protocol";
import { CompletionEngine, staticModelCatalog } from "@flock/serving";
import { tinyChatModel } from "@flock/serving/testing";
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from "openai";
import { type LocalAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

/**
 * Paid access to Moonbase's /v1 over real HTTP on 127.0.0.1: API keys made and revoked by signed requests,
 * scopes, prices, balances, plans, usage history — and the attacks on each, which end in a refusal with a clear
 * code and nothing billed.
 */
const A = "flock/tiny-a";
const B = "flock/tiny-b";
/** A longer context: greedy decoding runs to max_tokens. */
const LONG = "flock/tiny-long";
const PRICE = { promptPer1k: 1_000_000n, completionPer1k: 3_000_000n };

const key = (n: number) => privateKeyToAccount(`0x${n.toString(16).padStart(64, "0")}`);
const operator = key(0xa0);
const alice = key(0xa1);
const bob = key(0xa2);
const carol = key(0xa3);
const dave = key(0xa4);
const erin = key(0xa5);

let t: TestApp;
let url: string;
const chain = createRecordingChainGateway();
let chainPosition = 1;

async function deposit(account: LocalAccount, amount: bigint): Promise<void> {
  await t.repos.credits.apply({
    kind: "deposited",
    account: account.address.toLowerCase(),
    amount,
    blockNumber: chainPosition++,
    logIndex: 0,
  });
}

/** A signed request over real HTTP. */
async function signed(
  account: LocalAccount,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const headers = await signedHeaders({
    account,
    chainId: chain.chainId,
    verifyingContract: chain.requestVerifier,
    method,
    path,
    ...(payload === undefined ? {} : { body: payload }),
  });
  return fetch(`${url}${path}`, {
    method,
    headers: { ...headers, ...(payload === undefined ? {} : { "content-type": "application/json" }) },
    ...(payload === undefined ? {} : { body: payload }),
  });
}

async function createKey(
  account: LocalAccount,
  request: wire.CreateApiKeyRequest,
): Promise<wire.CreatedApiKey> {
  const response = await signed(account, "POST", "/keys", request);
  expect(response.status, await response.clone().text()).toBe(201);
  return (await response.json()) as wire.CreatedApiKey;
}

const openai = (apiKey: string) => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
const messages = [{ role: "user" as const, content: "Name a colour." }];
const recordsOf = (account: LocalAccount) => t.repos.usage.listByAccount(account.address);

beforeAll(async () => {
  chain.operators.add(operator.address.toLowerCase());
  const engine = new CompletionEngine(
    staticModelCatalog([tinyChatModel(A), tinyChatModel(B), tinyChatModel(LONG, 4, 1024)]),
    { batchRows: 4 },
  );
  t = await startTestApp({ completions: engine, chain });
  url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
  const priced = await signed(operator, "PUT", "/admin/prices", {
    model: A,
    promptPer1k: PRICE.promptPer1k.toString(),
    completionPer1k: PRICE.completionPer1k.toString(),
  });
  expect(priced.status).toBe(200);
  await signed(operator, "PUT", "/admin/prices", {
    model: LONG,
    promptPer1k: PRICE.promptPer1k.toString(),
    completionPer1k: PRICE.completionPer1k.toString(),
  });
});
afterAll(() => t?.dispose());

describe("API keys", () => {
  it("are made by a signed request: the secret is shown once and only its sha256 is kept", async () => {
    const unsigned = await fetch(`${url}/keys`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "laptop" }),
    });
    expect(unsigned.status).toBe(401);
    expect(await unsigned.json()).toMatchObject({ code: "AUTH_REQUIRED" });

    const created = await createKey(alice, { name: "laptop" });
    expect(created.secret).toMatch(/^flk_[A-Za-z0-9_-]{43}$/);
    expect(created.key).toMatchObject({ name: "laptop", models: null, plan: null, revokedAt: null });
    expect(created.secret.startsWith(created.key.prefix)).toBe(true);
    const stored = await t.repos.apiKeys.get(created.key.id);
    expect(stored.secretHash).toBe(createHash("sha256").update(created.secret).digest("hex"));
    expect(JSON.stringify(stored)).not.toContain(created.secret);

    const listed = await signed(alice, "GET", "/keys");
    const body = (await listed.json()) as wire.ApiKeys;
    expect(body.items).toEqual([created.key]);
    expect(JSON.stringify(body)).not.toContain(created.secret);
    // Another account sees none of alice's keys.
    expect(((await (await signed(bob, "GET", "/keys")).json()) as wire.ApiKeys).items).toEqual([]);
  });

  it("a call with the key is billed at the model's price: usage.cost, x-flock-cost and a usage record agree", async () => {
    await deposit(alice, 10n ** 18n);
    const { secret, key: apiKey } = await createKey(alice, { name: "billed" });
    const { data, response } = await openai(secret)
      .chat.completions.create({ model: A, messages, max_tokens: 12, seed: 3 })
      .withResponse();
    const usage = data.usage as OpenAI.CompletionUsage & { cost: string };
    const expected = usageCost(PRICE, usage.prompt_tokens, usage.completion_tokens);
    expect(usage.cost).toBe(expected.toString());
    expect(response.headers.get("x-flock-cost")).toBe(expected.toString());
    const [record] = (await t.repos.usage.listByKey(apiKey.id)).slice(-1);
    expect(record).toMatchObject({
      account: alice.address.toLowerCase(),
      model: A,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
      cost: expected,
      billing: "balance",
      epoch: null,
    });
    const credit = (await (await fetch(`${url}/credits/${alice.address}`)).json()) as wire.CreditAccount;
    expect(credit).toMatchObject({
      uncollected: expected.toString(),
      spendable: (10n ** 18n - expected).toString(),
    });
  });

  it("attack: a missing, wrong or revoked key is 401 invalid_api_key and never billed", async () => {
    const { secret, key: apiKey } = await createKey(alice, { name: "to revoke" });
    const before = (await recordsOf(alice)).length;
    for (const [apiKeyText, flockCode] of [
      ["flk_not-a-key", "API_KEY_INVALID"],
      [`${secret.slice(0, -2)}xx`, "API_KEY_INVALID"],
    ] as const) {
      const error = await openai(apiKeyText)
        .chat.completions.create({ model: A, messages })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: "invalid_api_key", error: { flock_code: flockCode } });
    }
    const none = await fetch(`${url}/v1/models`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({
      error: { code: "invalid_api_key", flock_code: "API_KEY_REQUIRED" },
    });

    // bob cannot revoke alice's key: it keeps working
    const stolen = await signed(bob, "DELETE", `/keys/${apiKey.id}`);
    expect(stolen.status).toBe(403);
    expect(await stolen.json()).toMatchObject({ code: "NOT_KEY_OWNER" });
    expect((await openai(secret).models.list()).data.length).toBe(3);

    const revoked = await signed(alice, "DELETE", `/keys/${apiKey.id}`);
    expect(revoked.status).toBe(200);
    expect(((await revoked.json()) as wire.ApiKey).revokedAt).not.toBeNull();
    const error = await openai(secret)
      .chat.completions.create({ model: A, messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error).toMatchObject({ code: "invalid_api_key", error: { flock_code: "API_KEY_REVOKED" } });
    expect((await recordsOf(alice)).length).toBe(before);
  });

  it("attack: a key scoped to model A calling B is 404 model_not_found, not billed; its model list is A only", async () => {
    const { secret } = await createKey(alice, { name: "scoped", models: [A] });
    const client = openai(secret);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual([A]);
    const before = (await recordsOf(alice)).length;
    const error = await client.chat.completions.create({ model: B, messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
    expect((await recordsOf(alice)).length).toBe(before);
    const answer = await client.chat.completions.create({ model: A, messages, max_tokens: 4 });
    expect(answer.choices[0]!.message.content).toEqual(expect.any(String));
    expect((await recordsOf(alice)).length).toBe(before + 1);
  });
});

describe("metering against the prepaid balance", () => {
  it("attack: 8 concurrent calls against a balance for 3 worst cases — never more served or billed than the balance", async () => {
    const { secret } = await createKey(carol, { name: "burst" });
    const client = openai(secret);
    // Measure the prompt with a funded probe key (alice's), then fund carol for 3 worst cases and a bit.
    const probe = await openai((await createKey(alice, { name: "probe" })).secret).chat.completions.create({
      model: LONG,
      messages,
      max_tokens: 1,
    });
    const maxTokens = 40;
    const worst = usageCost(PRICE, probe.usage!.prompt_tokens, maxTokens);
    const balance = 3n * worst + worst / 2n;
    await deposit(carol, balance);
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.chat.completions
          .create({ model: LONG, messages, max_tokens: maxTokens, temperature: 0, seed: i })
          .then(
            (answer) => ({ served: answer }),
            (error: unknown) => ({ error }),
          ),
      ),
    );
    const served = outcomes.flatMap((o) => ("served" in o ? [o.served] : []));
    const refused = outcomes.flatMap((o) => ("error" in o ? [o.error] : []));
    expect(served.length).toBeGreaterThanOrEqual(1);
    expect(served.length).toBeLessThanOrEqual(3);
    for (const error of refused) {
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({
        status: 429,
        code: "insufficient_quota",
        error: { flock_code: "CREDIT_BALANCE_TOO_LOW" },
      });
      // An exhausted balance is no rate limit: there is nothing to wait for.
      expect((error as RateLimitError).headers?.get("retry-after") ?? null).toBeNull();
    }
    const records = await recordsOf(carol);
    expect(records).toHaveLength(served.length);
    const billed = records.reduce((sum, r) => sum + r.cost, 0n);
    expect(billed).toBeLessThanOrEqual(balance);
    expect(billed.toString()).toBe(
      served.reduce((sum, a) => sum + BigInt((a.usage as { cost?: string }).cost!), 0n).toString(),
    );
    const credit = (await (await fetch(`${url}/credits/${carol.address}`)).json()) as wire.CreditAccount;
    expect(BigInt(credit.spendable)).toBe(balance - billed);
  });

  it("attack: requests that fail before a token are never billed, and their reservations are released", async () => {
    await deposit(dave, 10n ** 18n);
    const { secret } = await createKey(dave, { name: "failing" });
    const client = openai(secret);
    const refusals = [
      [{ model: A, messages, temperature: 5 }, BadRequestError],
      [{ model: A, messages, max_tokens: 5000 }, BadRequestError],
      [{ model: "flock/no-such-model", messages }, NotFoundError],
    ] as const;
    for (const [body, kind] of refusals) {
      const error = await client.chat.completions.create(body as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(kind);
    }
    expect(await recordsOf(dave)).toEqual([]);
    const credit = (await (await fetch(`${url}/credits/${dave.address}`)).json()) as wire.CreditAccount;
    expect(credit.spendable).toBe((10n ** 18n).toString());
  });

  it("an aborted stream bills the tokens it produced, no more", async () => {
    const { secret, key: apiKey } = await createKey(dave, { name: "aborting" });
    const controller = new AbortController();
    const stream = await openai(secret).chat.completions.create(
      { model: LONG, messages, max_tokens: 600, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    for await (const chunk of stream) {
      if ((chunk.choices[0]?.delta.content ?? "") !== "" && ++received === 3) controller.abort();
    }
    const deadline = Date.now() + 10_000;
    let records = await t.repos.usage.listByKey(apiKey.id);
    while (records.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      records = await t.repos.usage.listByKey(apiKey.id);
    }
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record!.completionTokens).toBeGreaterThanOrEqual(3);
    expect(record!.completionTokens).toBeLessThan(600);
    expect(record!.cost).toBe(usageCost(PRICE, record!.promptTokens, record!.completionTokens));
  });
});

describe("usage history", () => {
  it("the owner reads a key's calls as JSON and as CSV; other accounts and forged signatures are refused", async () => {
    await deposit(erin, 10n ** 18n);
    const { secret, key: apiKey } = await createKey(erin, { name: 'history, "quoted"' });
    const client = openai(secret);
    const first = await client.chat.completions.create({ model: A, messages, max_tokens: 5, seed: 1 });
    const second = await client.completions.create({ model: B, prompt: "Once", max_tokens: 3, seed: 2 });

    const response = await signed(erin, "GET", `/keys/${apiKey.id}/usage`);
    expect(response.status).toBe(200);
    const history = (await response.json()) as wire.UsageHistory;
    expect(history.items.map((r) => [r.model, r.promptTokens, r.completionTokens, r.cost])).toEqual([
      [
        A,
        first.usage!.prompt_tokens,
        first.usage!.completion_tokens,
        (first.usage as { cost?: string }).cost,
      ],
      [
        B,
        second.usage!.prompt_tokens,
        second.usage!.completion_tokens,
        (second.usage as { cost?: string }).cost,
      ],
    ]);
    expect(history.totals).toEqual({
      requests: 2,
      promptTokens: first.usage!.prompt_tokens + second.usage!.prompt_tokens,
      completionTokens: first.usage!.completion_tokens + second.usage!.completion_tokens,
      cost: history.items.reduce((sum, r) => sum + BigInt(r.cost), 0n).toString(),
    });

    const csv = await signed(erin, "GET", `/keys/${apiKey.id}/usage?format=csv`);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).split("\r\n");
    expect(lines[0]).toBe(
      "id,created_at,key_id,account,model,billing,prompt_tokens,completion_tokens,cost,epoch",
    );
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("");
    const row = lines[1]!.split(",");
    expect(row).toEqual([
      String(history.items[0]!.id),
      history.items[0]!.createdAt,
      String(apiKey.id),
      erin.address.toLowerCase(),
      A,
      "balance",
      String(history.items[0]!.promptTokens),
      String(history.items[0]!.completionTokens),
      history.items[0]!.cost,
      "",
    ]);

    const later = new Date(Date.parse(history.items[1]!.createdAt) + 1).toISOString();
    const ranged = await signed(
      erin,
      "GET",
      `/keys/${apiKey.id}/usage?to=${encodeURIComponent(later)}&from=0`,
    );
    expect(((await ranged.json()) as wire.UsageHistory).items).toHaveLength(2);
    const empty = await signed(erin, "GET", `/keys/${apiKey.id}/usage?from=${encodeURIComponent(later)}`);
    expect(((await empty.json()) as wire.UsageHistory).items).toEqual([]);
    const backwards = await signed(
      erin,
      "GET",
      `/keys/${apiKey.id}/usage?from=${encodeURIComponent(later)}&to=0`,
    );
    expect(backwards.status).toBe(400);
    expect(await backwards.json()).toMatchObject({ code: "USAGE_RANGE_INVALID" });

    // attack: another account, no signature, a signature for another path
    const other = await signed(bob, "GET", `/keys/${apiKey.id}/usage`);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: "NOT_KEY_OWNER" });
    expect((await fetch(`${url}/keys/${apiKey.id}/usage`)).status).toBe(401);
    const forged = await signedHeaders({
      account: erin,
      chainId: chain.chainId,
      verifyingContract: chain.requestVerifier,
      method: "GET",
      path: "/keys",
    });
    const replayed = await fetch(`${url}/keys/${apiKey.id}/usage`, { headers: forged });
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ code: "AUTH_BAD_SIGNATURE" });
  });
});

describe("plans and subscriptions", () => {
  it("attack: only an operator sets prices and plans", async () => {
    const price = await signed(bob, "PUT", "/admin/prices", {
      model: A,
      promptPer1k: "0",
      completionPer1k: "0",
    });
    expect(price.status).toBe(403);
    expect(await price.json()).toMatchObject({ code: "NOT_OPERATOR" });
    const plan = await signed(bob, "PUT", "/admin/plans", {
      name: "free-for-me",
      fee: "0",
      periodSeconds: 60,
      tokenQuota: 1_000_000,
      requestsPerMinute: 100,
    });
    expect(plan.status).toBe(403);
    expect((await (await fetch(`${url}/prices`)).json()) as wire.ModelPrices).toMatchObject({
      items: [
        { model: A, promptPer1k: PRICE.promptPer1k.toString() },
        { model: LONG, promptPer1k: PRICE.promptPer1k.toString() },
      ],
    });
  });

  it("a subscription's fee is paid from the balance; its key's calls bill the quota at cost 0 until it runs out", async () => {
    const fee = 5n * 10n ** 17n;
    const created = await signed(operator, "PUT", "/admin/plans", {
      name: "starter",
      fee: fee.toString(),
      periodSeconds: 3600,
      tokenQuota: 400,
      requestsPerMinute: 100,
    });
    expect(created.status).toBe(200);
    const bobKey = await createKey(bob, { name: "plan key", plan: "starter" });
    const planClient = openai(bobKey.secret);

    // Before subscribing the plan key has no quota to draw on.
    const early = await planClient.chat.completions
      .create({ model: A, messages, max_tokens: 4 })
      .catch((e: unknown) => e);
    expect(early).toBeInstanceOf(RateLimitError);
    expect(early).toMatchObject({
      code: "insufficient_quota",
      error: { flock_code: "SUBSCRIPTION_REQUIRED" },
    });

    // attack: subscribing without the balance for the fee
    const poor = await signed(bob, "POST", "/subscriptions", { plan: "starter" });
    expect(poor.status).toBe(402);
    expect(await poor.json()).toMatchObject({ code: "CREDIT_BALANCE_TOO_LOW" });
    expect(await recordsOf(bob)).toEqual([]);

    await deposit(bob, fee);
    const paid = await signed(bob, "POST", "/subscriptions", { plan: "starter" });
    expect(paid.status).toBe(201);
    expect(await paid.json()).toMatchObject({
      plan: "starter",
      fee: fee.toString(),
      tokenQuota: 400,
      tokensUsed: 0,
    });
    const twice = await signed(bob, "POST", "/subscriptions", { plan: "starter" });
    expect(twice.status).toBe(409);
    expect(await recordsOf(bob)).toMatchObject([
      { billing: "subscription", model: null, cost: fee, keyId: null },
    ]);
    expect(
      ((await (await fetch(`${url}/credits/${bob.address}`)).json()) as wire.CreditAccount).spendable,
    ).toBe("0");

    // Calls bill the plan at cost 0 while the quota holds their worst case.
    let served = 0;
    let refusal: unknown;
    for (let i = 0; i < 20 && refusal === undefined; i++) {
      await planClient.chat.completions.create({ model: A, messages, max_tokens: 40, seed: i }).then(
        (answer) => {
          served++;
          expect((answer.usage as { cost?: string }).cost).toBe("0");
        },
        (error: unknown) => {
          refusal = error;
        },
      );
    }
    expect(served).toBeGreaterThan(0);
    expect(refusal).toBeInstanceOf(RateLimitError);
    expect(refusal).toMatchObject({
      code: "insufficient_quota",
      error: { flock_code: "PLAN_QUOTA_EXHAUSTED" },
    });
    const planRecords = (await recordsOf(bob)).filter((r) => r.billing === "plan");
    expect(planRecords).toHaveLength(served);
    expect(planRecords.every((r) => r.cost === 0n)).toBe(true);
    const used = planRecords.reduce((sum, r) => sum + r.promptTokens + r.completionTokens, 0);
    expect(used).toBeLessThanOrEqual(400);
    const current = (await (await signed(bob, "GET", "/subscriptions/current")).json()) as wire.Subscription;
    expect(current.tokensUsed).toBe(used);
  });
});

describe("a private coordinator (requireApiKey false)", () => {
  it("serves keyless calls unmetered at cost 0, and still refuses a wrong key that is sent", async () => {
    const open = await startTestApp({
      completions: new CompletionEngine(staticModelCatalog([tinyChatModel(A)])),
      config: { requireApiKey: false },
    });
    try {
      const base = await open.app.http.listen({ host: "127.0.0.1", port: 0 });
      const keyless = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: A, messages, max_tokens: 3 }),
      });
      expect(keyless.status).toBe(200);
      expect(keyless.headers.get("x-flock-cost")).toBe("0");
      expect(((await keyless.json()) as { usage: { cost: string } }).usage.cost).toBe("0");
      expect(await open.repos.usage.listByAccount(alice.address)).toEqual([]);
      const wrong = await new OpenAI({ baseURL: `${base}/v1`, apiKey: "flk_wrong", maxRetries: 0 }).models
        .list()
        .catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(AuthenticationError);
    } finally {
      await open.dispose();
    }
  });
});
