import type { wire } from "@flock/core";
import { CompletionEngine, staticModelCatalog } from "@flock/serving";
import { tinyChatModel } from "@flock/serving/testing";
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError, RateLimitError } from "openai";
import { type LocalAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

/**
 * Conformance with the official `openai` client, unchanged, against a real coordinator on 127.0.0.1 serving
 * tiny byte-level decoders from the engine.
 */
const MODEL = "flock/tiny-chat";
/** A longer context; greedy decoding of these weights runs to max_tokens without ending its turn. */
const LONG_MODEL = "flock/tiny-chat-long";

let t: TestApp;
let engine: CompletionEngine;
let client: OpenAI;
let url: string;
let apiKey: string;

const caller = privateKeyToAccount(`0x${"c1".padStart(64, "0")}`);

/** An API key of `account`, made by a signed POST /keys, with a prepaid balance of 1 FLOCK behind it. */
async function fundedKey(
  app: TestApp,
  account: LocalAccount,
  request: wire.CreateApiKeyRequest,
): Promise<string> {
  await app.repos.credits.apply({
    kind: "deposited",
    account: account.address.toLowerCase(),
    amount: 10n ** 18n,
    blockNumber: Math.floor(Math.random() * 1e9),
    logIndex: 0,
  });
  const created = await app.signed(account, "POST", "/keys", request);
  expect(created.statusCode, created.body).toBe(201);
  return (created.json() as wire.CreatedApiKey).secret;
}

beforeAll(async () => {
  // Four rows: concurrent requests of a model share batched decode steps.
  engine = new CompletionEngine(
    staticModelCatalog([tinyChatModel(MODEL), tinyChatModel(LONG_MODEL, 4, 1024)]),
    { batchRows: 4 },
  );
  t = await startTestApp({ completions: engine });
  url = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
  apiKey = await fundedKey(t, caller, { name: "conformance" });
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0 });
});
afterAll(() => t?.dispose());

const messages = [
  { role: "system" as const, content: "You are terse." },
  { role: "user" as const, content: "Name a colour." },
];

describe("the official openai client against Moonbase's /v1", () => {
  it("lists the served models", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual([MODEL, LONG_MODEL]);
    expect(page.data[0]).toEqual({
      id: MODEL,
      object: "model",
      created: expect.any(Number),
      owned_by: "flock",
    });
  });

  it("chats without streaming: one choice with index 0, an assistant message and usage", async () => {
    const answer = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 24, seed: 7 });
    expect(answer.object).toBe("chat.completion");
    expect(answer.id).toMatch(/^chatcmpl-/);
    expect(answer.model).toBe(MODEL);
    expect(answer.choices).toHaveLength(1);
    const [choice] = answer.choices;
    expect(choice!.index).toBe(0);
    expect(choice!.message.role).toBe("assistant");
    expect(typeof choice!.message.content).toBe("string");
    expect(["stop", "length"]).toContain(choice!.finish_reason);
    const usage = answer.usage!;
    expect(usage.completion_tokens).toBeGreaterThan(0);
    expect(usage.completion_tokens).toBeLessThanOrEqual(24);
    expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
  });

  it("streams with include_usage: usage null on every chunk but the last, which has choices [] and the usage", async () => {
    const whole = await client.chat.completions.create({ model: MODEL, messages, max_tokens: 24, seed: 7 });
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 24,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    const rest = chunks.slice(0, -1);
    expect(rest.length).toBeGreaterThan(1);
    for (const chunk of rest) {
      expect(chunk.object).toBe("chat.completion.chunk");
      expect(chunk.id).toBe(last.id);
      expect(chunk.usage).toBeNull();
      expect(chunk.choices.map((c) => c.index)).toEqual([0]);
    }
    expect(rest[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(rest.at(-1)!.choices[0]!.finish_reason).toBe(whole.choices[0]!.finish_reason);
    expect(rest.map((c) => c.choices[0]!.delta.content ?? "").join("")).toBe(
      whole.choices[0]!.message.content,
    );
  });

  it("the same seed gives the same text, another seed another", async () => {
    const ask = (seed: number) =>
      client.chat.completions.create({ model: MODEL, messages, max_tokens: 32, temperature: 1, seed });
    const [a, b, c] = [await ask(21), await ask(21), await ask(22)];
    expect(b.choices[0]!.message.content).toBe(a.choices[0]!.message.content);
    expect(c.choices[0]!.message.content).not.toBe(a.choices[0]!.message.content);
  });

  it("four concurrent streams give the texts the same seeds give one at a time", async () => {
    const streamed = async (seed: number) => {
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: `Tell me about ${seed}.` }],
        max_tokens: 16 + seed,
        seed,
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    const seeds = [1, 2, 3, 4];
    const alone: string[] = [];
    for (const seed of seeds) alone.push(await streamed(seed));
    expect(await Promise.all(seeds.map(streamed))).toEqual(alone);
  });

  it("stops before a stop sequence, which is left out, with finish_reason stop", async () => {
    const free = await client.completions.create({
      model: LONG_MODEL,
      prompt: "Once",
      max_tokens: 60,
      temperature: 0,
    });
    const text = free.choices[0]!.text;
    // Two printable ASCII characters the greedy text reaches after a few characters.
    const at = [...text].findIndex((_, i) => i >= 4 && /^[ -~]{2}$/.test(text.slice(i, i + 2)));
    expect(at).toBeGreaterThan(0);
    const stop = text.slice(at, at + 2);
    for (const stream of [false, true] as const) {
      const request = {
        model: LONG_MODEL,
        prompt: "Once",
        max_tokens: 60,
        temperature: 0,
        stop: [stop, "never said"],
      };
      let stopped: { text: string; finish: string | null };
      if (stream) {
        const pieces: string[] = [];
        let finish: string | null = null;
        for await (const chunk of await client.completions.create({ ...request, stream: true })) {
          pieces.push(chunk.choices[0]?.text ?? "");
          finish = chunk.choices[0]?.finish_reason ?? finish;
        }
        stopped = { text: pieces.join(""), finish };
      } else {
        const answer = await client.completions.create(request);
        stopped = { text: answer.choices[0]!.text, finish: answer.choices[0]!.finish_reason };
      }
      expect(stopped).toEqual({ text: text.slice(0, text.indexOf(stop)), finish: "stop" });
    }
  });

  it("aborting mid-stream stops the server's decoding, and the next request is served", async () => {
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: LONG_MODEL, messages, max_tokens: 900, temperature: 0, stream: true },
      { signal: controller.signal },
    );
    let received = 0;
    const reading = (async () => {
      for await (const chunk of stream) {
        if ((chunk.choices[0]?.delta.content ?? "") !== "" && ++received === 3) controller.abort();
      }
    })();
    // The client's stream ends quietly when its own signal aborts it.
    await reading;
    expect(received).toBe(3);
    const deadline = Date.now() + 10_000;
    while (engine.stats().running > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const { running, lastFinished } = engine.stats();
    expect(running).toBe(0);
    expect(lastFinished?.finishReason).toBe("abort");
    // Greedy decoding of this model runs to all 900 tokens when nobody stops it.
    expect(lastFinished!.completionTokens).toBeLessThan(900);
    const next = await client.chat.completions.create({
      model: LONG_MODEL,
      messages,
      max_tokens: 5,
      temperature: 0,
    });
    expect(next.choices[0]!.finish_reason).toBe("length");
  });

  it("an unknown model is the client's NotFoundError with code model_not_found", async () => {
    const error = await client.chat.completions
      .create({ model: "flock/no-such-model", messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      status: 404,
      code: "model_not_found",
      param: "model",
      type: "invalid_request_error",
    });
  });

  it("malformed requests are the client's BadRequestError naming the field", async () => {
    const refusals = [
      [{ model: MODEL, messages, temperature: 5 }, "temperature"],
      [{ model: MODEL, messages, n: 2 }, "n"],
      [{ model: MODEL, messages: [] }, "messages"],
      [{ model: MODEL, messages, max_tokens: 5000 }, "messages"],
    ] as const;
    for (const [body, param] of refusals) {
      const error = await client.chat.completions.create(body as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).param).toBe(param);
    }
  });

  it("answers bad JSON and unknown /v1 routes in OpenAI's error shape", async () => {
    const bad = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      error: { type: "invalid_request_error", flock_code: "BODY_NOT_JSON", message: expect.any(String) },
    });
    const missing = await fetch(`${url}/v1/embeddings`, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { flock_code: "ROUTE_NOT_FOUND", param: null, code: null },
    });
  });
});

describe("the official openai client meets Moonbase's access rules", () => {
  it("every answer's usage carries its cost: the whole answer (and x-flock-cost), and the stream's final usage chunk", async () => {
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages, max_tokens: 8, seed: 5 })
      .withResponse();
    const cost = (data.usage as { cost?: string }).cost;
    expect(cost).toMatch(/^[1-9][0-9]*$/);
    expect(response.headers.get("x-flock-cost")).toBe(cost);
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 8,
      seed: 5,
      stream: true,
      stream_options: { include_usage: true },
    });
    let last: OpenAI.ChatCompletionChunk | undefined;
    for await (const chunk of stream) last = chunk;
    expect(last!.choices).toEqual([]);
    expect(last!.usage).toEqual(data.usage);
  });

  it("401 is the client's AuthenticationError with code invalid_api_key", async () => {
    for (const key of ["sk-not-a-flock-key", `${apiKey.slice(0, -3)}abc`]) {
      const error = await new OpenAI({ baseURL: `${url}/v1`, apiKey: key, maxRetries: 0 }).models
        .list()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: "invalid_api_key", type: "authentication_error" });
    }
  });

  it("429 beyond a plan's requests per minute is the client's RateLimitError with retry-after", async () => {
    // The recording chain's coordinator (dev account 1) may set plans.
    const coordinator = privateKeyToAccount(
      "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    );
    const plan = {
      name: "two-a-minute",
      fee: "0",
      periodSeconds: 3600,
      tokenQuota: 100_000,
      requestsPerMinute: 2,
    };
    expect((await t.signed(coordinator, "PUT", "/admin/plans", plan)).statusCode).toBe(200);
    const subscriber = privateKeyToAccount(`0x${"c2".padStart(64, "0")}`);
    const planKey = await fundedKey(t, subscriber, { name: "rate limited", plan: plan.name });
    expect((await t.signed(subscriber, "POST", "/subscriptions", { plan: plan.name })).statusCode).toBe(201);
    const limited = new OpenAI({ baseURL: `${url}/v1`, apiKey: planKey, maxRetries: 0 });
    await limited.models.list();
    await limited.chat.completions.create({ model: MODEL, messages, max_tokens: 2 });
    const error = await limited.chat.completions
      .create({ model: MODEL, messages, max_tokens: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "rate_limit_error" });
    const retryAfter = Number((error as RateLimitError).headers?.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });
});

describe("a coordinator's /v1 serves the registry's language models", () => {
  let r: TestApp;
  let registry: OpenAI;
  const trainer = "0x00000000000000000000000000000000000000a1";
  beforeAll(async () => {
    r = await startTestApp();
    const { baseModel } = await tinyChatModel().weights();
    const baseId = await r.publish(baseModel as Uint8Array);
    const task = await r.repos.tasks.create({
      title: "tiny full",
      description: "d",
      type: "lm-full",
      baseModel: baseId,
      contextLength: 64,
      maxTrainableParams: 1000,
      trainingSetId: await r.publish("training set"),
      validationCommitment: `sha256:${"1".padStart(64, "0")}`,
      submissionDeadline: new Date(Date.now() + 3_600_000),
      endTime: new Date(Date.now() + 7_200_000),
      rewardWeight: 1n,
      minStake: 1000n,
      minLockDays: 0,
      status: "draft",
      creator: trainer,
    });
    await r.repos.models.register({
      name: "flock/lm-full-tiny",
      kind: "arena-full",
      taskId: task.id,
      baseModel: baseId,
      artifact: baseId,
      license: "apache-2.0",
      metrics: {},
      lineage: {
        task: { id: task.id, title: task.title, type: "lm-full", kind: "arena" },
        baseModel: baseId,
        trainers: [trainer],
        validators: [],
        datasets: [],
      },
    });
    const base = await r.app.http.listen({ host: "127.0.0.1", port: 0 });
    registry = new OpenAI({
      baseURL: `${base}/v1`,
      apiKey: await fundedKey(r, caller, { name: "registry" }),
      maxRetries: 0,
    });
  });
  afterAll(() => r?.dispose());

  it("lists a registered model by name and answers with it; a versioned name is not a served id", async () => {
    const page = await registry.models.list();
    expect(page.data).toEqual([
      { id: "flock/lm-full-tiny", object: "model", created: expect.any(Number), owned_by: trainer },
    ]);
    const answer = await registry.chat.completions.create({
      model: "flock/lm-full-tiny",
      messages,
      max_tokens: 8,
      seed: 1,
    });
    expect(answer.usage!.completion_tokens).toBeGreaterThan(0);
    // The call is metered against the registry version that answered (what settlement pays the lineage of).
    const [record] = await r.repos.usage.listByAccount(caller.address);
    expect(record).toMatchObject({
      model: "flock/lm-full-tiny",
      modelId: (await r.repos.models.get("flock/lm-full-tiny")).id,
      completionTokens: answer.usage!.completion_tokens,
      cost: BigInt((answer.usage as { cost?: string }).cost!),
    });
    const error = await registry.chat.completions
      .create({ model: "flock/lm-full-tiny@1", messages })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
  });
});
