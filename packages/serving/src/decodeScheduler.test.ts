import { afterAll, describe, expect, it } from "vitest";
import { CompletionEngine, type CompletionResult } from "./completionEngine.ts";
import { parseChatCompletionRequest } from "./completionRequest.ts";
import { staticModelCatalog } from "./modelCatalog.ts";
import { tinyChatModel } from "./testing/tinyChatModel.ts";

const catalog = staticModelCatalog([tinyChatModel()]);
const oneAtATime = new CompletionEngine(catalog);
const batched = new CompletionEngine(catalog, { batchRows: 4 });
afterAll(async () => {
  await oneAtATime.close();
  await batched.close();
});

/** Requests of different lengths, seeds, temperatures and stop sequences. */
const requests = Array.from({ length: 6 }, (_, i) =>
  parseChatCompletionRequest({
    model: "flock/tiny-chat",
    messages: [{ role: "user", content: `Question ${i}: ${"why ".repeat(i)}?` }],
    max_tokens: 12 + 7 * i,
    temperature: i === 3 ? 0 : 0.7 + 0.1 * i,
    top_p: i % 2 === 0 ? 1 : 0.9,
    seed: 100 + i,
    ...(i === 2 ? { stop: ["e", "a"] } : {}),
  }),
);

async function answer(engine: CompletionEngine, i: number): Promise<CompletionResult & { streamed: string }> {
  let streamed = "";
  const result = await (await engine.prepare(requests[i]!)).run({
    onText: async (d) => {
      streamed += d;
    },
  });
  return { ...result, streamed };
}

describe("continuous batching", () => {
  it("concurrent requests sharing batched steps give the texts they give one at a time", async () => {
    const alone: Array<CompletionResult & { streamed: string }> = [];
    for (let i = 0; i < requests.length; i++) alone.push(await answer(oneAtATime, i));
    // Six requests on four rows: two join when the first ones finish.
    const together = await Promise.all(requests.map((_, i) => answer(batched, i)));
    expect(together).toEqual(alone);
    for (const r of together) expect(r.streamed).toBe(r.text);
    expect(alone.some((r) => r.completionTokens > 10)).toBe(true);
    // Tokens fed one at a time: every prompt token and every sampled token but the last.
    const sequentialSteps = alone.reduce((sum, r) => sum + r.promptTokens + r.completionTokens - 1, 0);
    expect(batched.stats().batchedSteps).toBeLessThan(sequentialSteps / 2);
  });

  it("an aborted sequence leaves its row; the others finish unchanged", async () => {
    const alone = await answer(oneAtATime, 5);
    const controller = new AbortController();
    let seen = 0;
    const aborted = (await batched.prepare(requests[4]!)).run({
      onText: () => {
        if (++seen === 2) controller.abort();
      },
      signal: controller.signal,
    });
    const [stopped, other] = await Promise.all([aborted, answer(batched, 5)]);
    expect(stopped.finishReason).toBe("abort");
    expect(stopped.completionTokens).toBeLessThan(requests[4]!.maxTokens!);
    expect(other).toEqual(alone);
  });
});
