import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompletionEngine } from "./completionEngine.ts";
import { parseChatCompletionRequest, parseCompletionRequest } from "./completionRequest.ts";
import { type CatalogModel, staticModelCatalog, type UpstreamRoute } from "./modelCatalog.ts";
import { openAiErrorOf } from "./openAiError.ts";
import {
  failingServer,
  serveOpenAi,
  silentServer,
  type TestHttpServer,
  tinyChatModel,
} from "./testing/index.ts";

/**
 * Models routed to OpenAI-compatible upstreams on 127.0.0.1: two Flock serving instances (one that reports
 * usage, one that does not), a server failing with 503, one that never answers and a closed port. The front
 * door is itself a serving instance over HTTP, so every hop is real.
 */
const UPSTREAM_MODEL = "flock/tiny-chat";
/** A longer context; greedy decoding of these weights runs to max_tokens without ending its turn. */
const LONG_MODEL = "flock/tiny-chat-long";
let upstreamEngine: CompletionEngine;
let upstream: TestHttpServer;
let noUsage: TestHttpServer;
let failing: TestHttpServer;
let silent: TestHttpServer;
let closedPort: string;
let front: TestHttpServer;
/** An upstream that streams a fixed answer with whatever usage the test sets (a buggy or dishonest server). */
let lying: { url: string; usage: unknown; close(): Promise<void> };
let engine: CompletionEngine;

const route = (baseUrl: string, extra: Partial<UpstreamRoute> = {}): UpstreamRoute => ({
  baseUrl: `${baseUrl}/v1`,
  model: UPSTREAM_MODEL,
  timeoutMs: 400,
  ...extra,
});
const routed = (id: string, upstreamRoutes: UpstreamRoute[]): CatalogModel => ({
  id,
  created: 0,
  ownedBy: "flock",
  weights: async () => {
    throw new Error("a routed model has no local weights");
  },
  upstream: upstreamRoutes,
});

beforeAll(async () => {
  upstreamEngine = new CompletionEngine(
    staticModelCatalog([tinyChatModel(UPSTREAM_MODEL), tinyChatModel(LONG_MODEL, 4, 1024)]),
    {
      batchRows: 2,
    },
  );
  upstream = await serveOpenAi(upstreamEngine);
  noUsage = await serveOpenAi(upstreamEngine, { usage: false });
  failing = await failingServer(503);
  silent = await silentServer();
  // A port that was free a moment ago: connection refused.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  closedPort = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const liar = createHttpServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    const chunk = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    chunk({ choices: [{ index: 0, delta: { content: "four bytes" }, finish_reason: null }] });
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] });
    chunk({ choices: [], usage: lying.usage });
    res.end("data: [DONE]\n\n");
  });
  await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
  lying = {
    url: `http://127.0.0.1:${(liar.address() as { port: number }).port}`,
    usage: null,
    close: () => new Promise((resolve) => liar.close(() => resolve())),
  };
  engine = new CompletionEngine(
    staticModelCatalog([
      routed("routed/fallbacks", [
        route(closedPort),
        route(failing.url),
        route(silent.url),
        route(upstream.url, { apiKey: "sk-upstream-secret" }),
      ]),
      routed("routed/long", [route(upstream.url, { model: LONG_MODEL })]),
      routed("routed/no-usage", [route(noUsage.url)]),
      routed("routed/lying", [route(lying.url)]),
      routed("routed/refused", [route(upstream.url, { model: "no/such-model" }), route(noUsage.url)]),
      routed("routed/down", [route(closedPort, { apiKey: "sk-upstream-secret" }), route(failing.url)]),
    ]),
  );
  front = await serveOpenAi(engine);
});
afterAll(async () => {
  for (const server of [front, upstream, noUsage, failing, silent, lying]) await server?.close();
  await engine?.close();
  await upstreamEngine?.close();
});

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "Where does this answer come from?" }],
  max_tokens: 20,
  seed: 21,
  ...extra,
});

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${front.url}/v1/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The fields of an answer or error body these tests read. */
interface Answer {
  object: string;
  choices: [{ message: { content: string }; text: string; finish_reason: string }];
  usage: unknown;
  error: { message: string } & Record<string, unknown>;
}

async function answerOf(response: Response | Promise<Response>): Promise<Answer> {
  return (await (await response).json()) as Answer;
}

/** The `data:` payloads of an SSE answer. */
async function events(response: Response): Promise<Array<Record<string, unknown> | "[DONE]">> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => (e === "data: [DONE]" ? "[DONE]" : JSON.parse(e.slice(6))));
}

describe("routing a model to OpenAI-compatible upstreams", () => {
  it("falls back past a refused connection, a 503 and a timeout; the answer and usage are the upstream's", async () => {
    const direct = await answerOf(
      fetch(`${upstream.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(chat(UPSTREAM_MODEL)),
      }),
    );
    const hits = { failing: failing.hits, silent: silent.hits };
    const response = await post("chat/completions", chat("routed/fallbacks"));
    expect(response.status).toBe(200);
    const answer = await answerOf(response);
    expect(answer).toMatchObject({ object: "chat.completion", model: "routed/fallbacks" });
    expect(answer.choices[0].message.content).toBe(direct.choices[0].message.content);
    expect(answer.choices[0].finish_reason).toBe(direct.choices[0].finish_reason);
    expect(answer.usage).toEqual(direct.usage);
    expect({ failing: failing.hits - hits.failing, silent: silent.hits - hits.silent }).toEqual({
      failing: 1,
      silent: 1,
    });
    expect(engine.stats().lastFinished?.upstream).toEqual({
      baseUrl: `${upstream.url}/v1`,
      model: UPSTREAM_MODEL,
      usage: "upstream",
    });
  });

  it("streams through: the same text piece by piece, the upstream's usage in the last chunk", async () => {
    const whole = await answerOf(post("chat/completions", chat("routed/fallbacks")));
    const response = await post(
      "chat/completions",
      chat("routed/fallbacks", { stream: true, stream_options: { include_usage: true } }),
    );
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const chunks = await events(response);
    expect(chunks.at(-1)).toBe("[DONE]");
    const json = chunks.slice(0, -1) as Array<{
      choices: Array<{ delta: { content?: string } }>;
      usage: unknown;
    }>;
    const pieces = json.flatMap((c) => (c.choices[0]?.delta.content ? [c.choices[0].delta.content] : []));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(whole.choices[0].message.content);
    expect(json.at(-1)).toMatchObject({ choices: [], usage: whole.usage });
  });

  it("text completions are routed too", async () => {
    const direct = await answerOf(
      fetch(`${upstream.url}/v1/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: UPSTREAM_MODEL, prompt: "Once", max_tokens: 8, seed: 2 }),
      }),
    );
    const answer = await answerOf(
      post("completions", { model: "routed/fallbacks", prompt: "Once", max_tokens: 8, seed: 2 }),
    );
    expect(answer.object).toBe("text_completion");
    expect(answer.choices[0].text).toBe(direct.choices[0].text);
    expect(answer.usage).toEqual(direct.usage);
  });

  it("counts the usage when the upstream reports none (prompt as rendered for the byte tokenizer, text in bytes)", async () => {
    const request = parseChatCompletionRequest(chat("routed/no-usage"));
    const prepared = await engine.prepare(request);
    const result = await prepared.run({});
    expect(result.upstream?.usage).toBe("counted");
    expect(result.completionTokens).toBe(new TextEncoder().encode(result.text).length);
    // The upstream runs the same byte tokenizer: its own count of the prompt agrees.
    const own = await (await upstreamEngine.prepare(parseChatCompletionRequest(chat(UPSTREAM_MODEL)))).run(
      {},
    );
    expect(result.promptTokens).toBe(own.promptTokens);
    expect(result.text).toBe(own.text);
  });

  it("bills no unbelievable usage: negative, fractional or above max_tokens is ignored and counted here", async () => {
    const counted = { prompt: 0, completion: new TextEncoder().encode("four bytes").length };
    for (const usage of [
      { prompt_tokens: -5, completion_tokens: 3 },
      { prompt_tokens: 10, completion_tokens: 2.5 },
      { prompt_tokens: 10, completion_tokens: 1e12 },
      { prompt_tokens: "10", completion_tokens: 3 },
      { prompt_tokens: 10, completion_tokens: 21 },
    ]) {
      lying.usage = usage;
      const request = parseChatCompletionRequest(chat("routed/lying"));
      const prepared = await engine.prepare(request);
      counted.prompt = prepared.promptTokens;
      const result = await prepared.run({});
      expect(result).toMatchObject({
        text: "four bytes",
        promptTokens: counted.prompt,
        completionTokens: counted.completion,
        upstream: { usage: "counted" },
      });
    }
    // A believable report (within max_tokens: 20) is the upstream's.
    lying.usage = { prompt_tokens: 7, completion_tokens: 20 };
    const result = await (await engine.prepare(parseChatCompletionRequest(chat("routed/lying")))).run({});
    expect(result).toMatchObject({ promptTokens: 7, completionTokens: 20, upstream: { usage: "upstream" } });
  });

  it("returns an upstream's 4xx as it is, without trying the next route", async () => {
    const hits = noUsage.hits;
    const response = await post("chat/completions", chat("routed/refused", { stream: true }));
    expect(response.status).toBe(404);
    const body = await answerOf(response);
    expect(body.error).toMatchObject({ code: "model_not_found", flock_code: "SERVING_MODEL_NOT_FOUND" });
    expect(body.error.message).toContain("no/such-model");
    expect(noUsage.hits).toBe(hits);
  });

  it("answers 502 SERVING_UPSTREAM_FAILED naming each route's failure (never its key) when all fail", async () => {
    const response = await post("chat/completions", chat("routed/down"));
    expect(response.status).toBe(502);
    const body = await answerOf(response);
    expect(body.error).toMatchObject({ type: "server_error", flock_code: "SERVING_UPSTREAM_FAILED" });
    expect(body.error.message).toContain("ECONNREFUSED");
    expect(body.error.message).toContain("HTTP 503");
    expect(JSON.stringify(body)).not.toContain("sk-upstream-secret");
    const refused = openAiErrorOf(
      await engine
        .prepare(parseCompletionRequest({ model: "routed/down", prompt: "x" }))
        .catch((e: unknown) => e),
    );
    expect(refused.status).toBe(502);
  });

  it("stops the upstream's decoding when the client goes away mid-stream", async () => {
    const controller = new AbortController();
    const response = await fetch(`${front.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(chat("routed/long", { stream: true, max_tokens: 600, temperature: 0 })),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    await expect
      .poll(() => upstreamEngine.stats().lastFinished?.finishReason, { timeout: 5000 })
      .toBe("abort");
    await expect.poll(() => engine.stats().running, { timeout: 5000 }).toBe(0);
  });
});
