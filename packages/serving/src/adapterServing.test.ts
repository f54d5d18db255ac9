import { afterAll, describe, expect, it } from "vitest";
import { CompletionEngine, type CompletionResult } from "./completionEngine.ts";
import { parseChatCompletionRequest } from "./completionRequest.ts";
import { staticModelCatalog } from "./modelCatalog.ts";
import { tinyAdapterModels } from "./testing/tinyAdapters.ts";

const { base, adapters } = tinyAdapterModels(3);
const catalog = staticModelCatalog([base, ...adapters]);
/** Adapters hot-loaded over one shared base, at most two kept. */
const engine = new CompletionEngine(catalog, { batchRows: 4, maxAdapters: 2 });
/** The same models with each adapter merged into its own copy of the base, one request at a time. */
const merged = new CompletionEngine(catalog);
afterAll(async () => {
  await engine.close();
  await merged.close();
});

const ask = (model: string, seed = 5) =>
  parseChatCompletionRequest({
    model,
    messages: [{ role: "user", content: "Tell me about adapters." }],
    max_tokens: 24,
    temperature: 0.8,
    seed,
  });

async function answer(e: CompletionEngine, model: string, seed?: number): Promise<CompletionResult> {
  return (await e.prepare(ask(model, seed))).run({});
}

const [a, b, c] = adapters.map((m) => m.id) as [string, string, string];

describe("LoRA adapters hot-loaded over a shared base", () => {
  it("loads adapters by model id on first use and evicts the least recently used beyond maxAdapters", async () => {
    const first = await answer(engine, a);
    await answer(engine, b);
    expect(engine.stats().adapters).toMatchObject({ resident: [a, b], loads: 2, evictions: 0 });
    await answer(engine, a); // a is now the most recently used
    expect(engine.stats().adapters).toMatchObject({ resident: [b, a], hits: 1 });
    await answer(engine, c); // evicts b, the least recently used
    expect(engine.stats().adapters).toMatchObject({ resident: [a, c], evicted: [b], evictions: 1 });
    await answer(engine, b); // reloaded, evicting a
    expect(engine.stats().adapters).toMatchObject({ resident: [c, b], evicted: [b, a], loads: 4 });
    // Reloaded after eviction, a answers exactly as before (same seed).
    const again = await answer(engine, a);
    expect(engine.stats().adapters.evicted).toEqual([b, a, c]);
    expect(again).toEqual(first);
  });

  it("answers each adapter as the adapter merged into its base does, and differently from the base", async () => {
    for (const model of [a, b])
      expect(await answer(engine, model, 9)).toEqual(await answer(merged, model, 9));
    const plain = await answer(engine, base.id, 9);
    expect(plain).toEqual(await answer(merged, base.id, 9));
    expect(plain.text).not.toBe((await answer(engine, a, 9)).text);
  });

  it("requests for different adapters and the base share batched steps, each with its own text", async () => {
    const alone = [];
    for (const model of [a, b, base.id]) alone.push(await answer(merged, model, 3));
    const before = engine.stats().batchedSteps;
    const together = await Promise.all([a, b, base.id].map((model) => answer(engine, model, 3)));
    expect(together).toEqual(alone);
    const steps = engine.stats().batchedSteps - before;
    const tokens = together.reduce((s, r) => s + r.completionTokens, 0);
    expect(steps).toBeLessThan(tokens - 10);
  });

  it("an extra adapter costs its own weights only: a few kilobytes, not another copy of the base", async () => {
    const stats = engine.stats().adapters;
    const perAdapter = stats.bytes / stats.resident.length;
    // Rank 4 on all seven projections of 2 layers: (in + out) × 4 floats per module. d32; k and v project to
    // 2 kv heads × 8 = 16; the MLP is 96 wide.
    const perLayer = 32 + 32 + 2 * (32 + 16) + 32 + 32 + 3 * (32 + 96);
    expect(perAdapter).toBe(2 * 4 * 4 * perLayer);
    const baseBytes = (await base.weights()).baseModel as Uint8Array;
    expect(perAdapter).toBeLessThan(baseBytes.byteLength / 5);
  });
});
