import { afterAll, describe, expect, it } from "vitest";
import { CompletionEngine } from "./completionEngine.ts";
import { parseChatCompletionRequest, parseCompletionRequest } from "./completionRequest.ts";
import { staticModelCatalog } from "./modelCatalog.ts";
import { openAiErrorOf } from "./openAiError.ts";
import { completeOnce, completeStreaming } from "./openAiResponses.ts";
import { tinyChatModel } from "./testing/tinyChatModel.ts";

const engine = new CompletionEngine(staticModelCatalog([tinyChatModel()]));
afterAll(() => engine.close());

const ask = (extra: Record<string, unknown> = {}) =>
  parseChatCompletionRequest({
    model: "flock/tiny-chat",
    messages: [{ role: "user", content: "Say something." }],
    max_tokens: 20,
    seed: 11,
    ...extra,
  });

function parseEvents(events: string[]): unknown[] {
  return events.map((e) => {
    expect(e.startsWith("data: ") && e.endsWith("\n\n")).toBe(true);
    const data = e.slice(6, -2);
    return data === "[DONE]" ? "[DONE]" : JSON.parse(data);
  });
}

describe("completions from the engine", () => {
  it("answers a chat in OpenAI's shape with usage counted in the tokenizer's ids", async () => {
    const request = ask();
    const prepared = await engine.prepare(request);
    const answer = await completeOnce(prepared, request);
    expect(answer).toMatchObject({ object: "chat.completion", model: "flock/tiny-chat" });
    expect(answer.id).toMatch(/^chatcmpl-/);
    const choice = (
      answer as { choices: Array<{ index: number; message: { content: string }; finish_reason: string }> }
    ).choices[0]!;
    expect(choice.index).toBe(0);
    expect(["stop", "length"]).toContain(choice.finish_reason);
    expect(answer.usage).toEqual({
      prompt_tokens: prepared.promptTokens,
      completion_tokens: expect.any(Number),
      total_tokens: prepared.promptTokens + answer.usage!.completion_tokens,
    });
    expect(answer.usage!.completion_tokens).toBeLessThanOrEqual(20);
  });

  it("streams the same text as the whole answer with the same seed, usage last with choices []", async () => {
    const whole = await completeOnce(await engine.prepare(ask()), ask());
    const request = ask({ stream: true, stream_options: { include_usage: true } });
    const events: string[] = [];
    await completeStreaming(await engine.prepare(request), request, async (e) => {
      events.push(e);
    });
    const chunks = parseEvents(events) as Array<Record<string, unknown> | "[DONE]">;
    expect(chunks.at(-1)).toBe("[DONE]");
    const json = chunks.slice(0, -1) as Array<{
      object: string;
      choices: Array<{
        index: number;
        delta: { role?: string; content?: string };
        finish_reason: string | null;
      }>;
      usage: unknown;
    }>;
    expect(json.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(json[0]!.choices[0]!.delta.role).toBe("assistant");
    const last = json.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(json.slice(0, -1).every((c) => c.usage === null && c.choices[0]!.index === 0)).toBe(true);
    expect(json.at(-2)!.choices[0]!.finish_reason).toBe(
      (whole as { choices: Array<{ finish_reason: string }> }).choices[0]!.finish_reason,
    );
    const text = json.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe(
      (whole as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content,
    );
  });

  it("text completions stream text_completion chunks; without include_usage there is no usage field", async () => {
    const request = parseCompletionRequest({
      model: "flock/tiny-chat",
      prompt: "Once",
      max_tokens: 8,
      seed: 1,
      stream: true,
    });
    const events: string[] = [];
    await completeStreaming(await engine.prepare(request), request, async (e) => {
      events.push(e);
    });
    const json = parseEvents(events).slice(0, -1) as Array<Record<string, unknown>>;
    expect(json.every((c) => c.object === "text_completion" && !("usage" in c))).toBe(true);
  });

  it("without a seed each request samples afresh", async () => {
    const request = ask({ seed: null, max_tokens: 24 });
    const a = (await completeOnce(await engine.prepare(request), request)) as {
      choices: Array<{ message: { content: string } }>;
    };
    const b = (await completeOnce(await engine.prepare(request), request)) as {
      choices: Array<{ message: { content: string } }>;
    };
    expect(a.choices[0]!.message.content).not.toBe(b.choices[0]!.message.content);
  });

  it("refuses an unknown model (404 model_not_found) and a prompt longer than the context (400)", async () => {
    const missing = openAiErrorOf(await engine.prepare(ask({ model: "nope" })).catch((e: unknown) => e));
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { code: "model_not_found", param: "model" } },
    });
    const long = openAiErrorOf(
      await engine
        .prepare(ask({ messages: [{ role: "user", content: "x".repeat(400) }] }))
        .catch((e: unknown) => e),
    );
    expect(long).toMatchObject({
      status: 400,
      body: { error: { code: "context_length_exceeded", flock_code: "SERVING_CONTEXT_TOO_LONG" } },
    });
  });
});
