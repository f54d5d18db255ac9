/**
 * The serving benchmark (`npm run bench -w @flock/serving`): aggregate tokens/s and time to first token (p50,
 * p95) at 1, 4 and 16 concurrent streams, measured in one run on this machine and printed, never asserted:
 *
 * - one at a time (the engine's `Generator`: one request after another, its prompt read one token per step),
 * - one at a time on the batched decoder with one row (in-place cache writes and chunked prefill, no batching),
 * - continuous batching (`batchRows` = streams).
 *
 * Then LoRA adapters over a shared base: hot-load time, and memory per extra adapter against a merged copy.
 *
 * Models: the tests' tiny byte-level decoder (d32, 2 layers), the demo's base model size (d64, 2 layers, 4
 * heads, ctx 256) and the engine benchmark's config b (d256, 6 layers, 8 heads, ctx 128), random weights.
 * `--quick` shrinks every size (a smoke run of the script itself).
 */
import { cpus, loadavg } from "node:os";
import { contentId } from "@flock/core";
import {
  createRng,
  encodeAdapterArtifact,
  encodeBaseModel,
  initLlamaParameters,
  initLoraParameters,
  type LlamaConfig,
  llamaConfig,
  loraConfig,
} from "@flock/engine";
import { CompletionEngine } from "../src/completionEngine.ts";
import { parseChatCompletionRequest } from "../src/completionRequest.ts";
import { type CatalogModel, staticModelCatalog } from "../src/modelCatalog.ts";

const quick = process.argv.includes("--quick");
const line = (text = "") => process.stdout.write(`${text}\n`);
const fmt = (x: number, digits = 3) => Number(x.toPrecision(digits)).toLocaleString("en-US");

interface BenchModel {
  id: string;
  label: string;
  config: LlamaConfig;
  tokens: number;
}

function modelEntry(m: BenchModel): CatalogModel {
  const params = initLlamaParameters({ ...m.config, initializer_range: 0.3 }, createRng(9));
  const bytes = encodeBaseModel({ config: m.config, params });
  return { id: m.id, created: 0, ownedBy: "flock", weights: async () => ({ baseModel: bytes }) };
}

const models: BenchModel[] = [
  {
    id: "tiny",
    label: "tiny (d32, 2 layers, 4 heads / 2 kv, ctx 256)",
    config: llamaConfig({
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 2,
      vocabSize: 261,
      maxPositions: 256,
    }),
    tokens: 96,
  },
  {
    id: "demo",
    label: "demo model size (d64, 2 layers, 4 heads, ctx 256)",
    config: llamaConfig({ hiddenSize: 64, numLayers: 2, numHeads: 4, vocabSize: 261, maxPositions: 256 }),
    tokens: 96,
  },
  {
    id: "config-b",
    label: "engine config b (d256, 6 layers, 8 heads, ctx 128)",
    config: llamaConfig({ hiddenSize: 256, numLayers: 6, numHeads: 8, vocabSize: 261, maxPositions: 128 }),
    tokens: 64,
  },
];

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Run `streams` concurrent requests of `tokens` new tokens each; tokens/s over the whole run and TTFTs. */
async function measure(engine: CompletionEngine, model: string, streams: number, tokens: number) {
  const start = performance.now();
  const ttft: number[] = [];
  let generated = 0;
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      const request = parseChatCompletionRequest({
        model,
        messages: [{ role: "user", content: `Stream ${i}, tell me a story.` }],
        max_tokens: tokens,
        temperature: 0,
      });
      const sent = performance.now();
      let first: number | undefined;
      const result = await (await engine.prepare(request)).run({
        onText: () => {
          first ??= performance.now() - sent;
        },
      });
      ttft.push(first ?? performance.now() - sent);
      generated += result.completionTokens;
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  ttft.sort((a, b) => a - b);
  return { tokensPerSecond: generated / seconds, p50: quantile(ttft, 0.5), p95: quantile(ttft, 0.95) };
}

line(`# @flock/serving benchmark${quick ? " (--quick)" : ""}`);
line(
  `${cpus()[0]?.model ?? "cpu"}, ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} at start; greedy decoding; 1 intra-op thread per session`,
);
for (const m of quick ? models.slice(0, 1) : models) {
  const catalog = staticModelCatalog([modelEntry(m)]);
  const tokens = quick ? 16 : m.tokens;
  line();
  line(`## ${m.label}, ${tokens} new tokens per stream`);
  line(
    "| streams | one at a time tok/s | one row, batched decoder tok/s | batched tok/s | batched ÷ one at a time | batched ÷ one row | TTFT p50 / p95 one at a time (ms) | one row (ms) | batched (ms) |",
  );
  line("|---|---|---|---|---|---|---|---|---|");
  for (const streams of quick ? [1, 4] : [1, 4, 16]) {
    const single = new CompletionEngine(catalog);
    const oneRow = new CompletionEngine(catalog, { batchRows: 1, batched: true });
    const batched = new CompletionEngine(catalog, { batchRows: streams, batched: true });
    // Load (compile) each engine's model outside the measurement.
    for (const e of [single, oneRow, batched]) await measure(e, m.id, 1, 2);
    const a = await measure(single, m.id, streams, tokens);
    const o = await measure(oneRow, m.id, streams, tokens);
    const b = await measure(batched, m.id, streams, tokens);
    line(
      `| ${streams} | ${fmt(a.tokensPerSecond)} | ${fmt(o.tokensPerSecond)} | ${fmt(b.tokensPerSecond)} | ` +
        `${fmt(b.tokensPerSecond / a.tokensPerSecond, 2)}× | ${fmt(b.tokensPerSecond / o.tokensPerSecond, 2)}× | ` +
        `${fmt(a.p50)} / ${fmt(a.p95)} | ${fmt(o.p50)} / ${fmt(o.p95)} | ${fmt(b.p50)} / ${fmt(b.p95)} |`,
    );
    for (const e of [single, oneRow, batched]) await e.close();
  }
}

// LoRA adapters (rank 8 on all seven projections, as the demo's recipes) over the demo-size base.
{
  const m = models[1]!;
  const count = quick ? 3 : 12;
  const params = initLlamaParameters({ ...m.config, initializer_range: 0.3 }, createRng(9));
  const baseBytes = encodeBaseModel({ config: m.config, params });
  const baseModelId = contentId(baseBytes);
  const lora = loraConfig({
    r: 8,
    targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
  });
  const adapters: CatalogModel[] = Array.from({ length: count }, (_, i) => {
    const bytes = encodeAdapterArtifact({
      lora,
      adapter: initLoraParameters(m.config, lora, createRng(50 + i)),
      baseModel: baseModelId,
    });
    return {
      id: `lora-${i}`,
      created: 0,
      ownedBy: "flock",
      weights: async () => ({ baseModel: baseBytes, adapter: { bytes, baseModelId } }),
      adapter: { baseModelId, base: async () => ({ baseModel: baseBytes }), bytes: async () => bytes },
    };
  });
  const ask = (model: string) =>
    parseChatCompletionRequest({ model, messages: [{ role: "user", content: "Hi" }], max_tokens: 1 });
  const catalog = staticModelCatalog(adapters);
  /** Array buffers held after garbage collection has settled (run with --expose-gc). */
  const memory = async () => {
    for (let i = 0; i < 4; i++) {
      (globalThis as { gc?: () => void }).gc?.();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { buffers: process.memoryUsage().arrayBuffers };
  };

  const hot = new CompletionEngine(catalog, { batchRows: 4, maxAdapters: count });
  await (await hot.prepare(ask(adapters[0]!.id))).run({}); // the base and its graphs
  const before = await memory();
  const loadTimes: number[] = [];
  for (const a of adapters.slice(1)) {
    const t0 = performance.now();
    await hot.prepare(ask(a.id));
    loadTimes.push(performance.now() - t0);
  }
  const t0 = performance.now();
  await hot.prepare(ask(adapters[1]!.id));
  const residentMs = performance.now() - t0;
  const after = await memory();
  const stats = hot.stats().adapters;
  await hot.close();

  const merged = new CompletionEngine(catalog);
  await (await merged.prepare(ask(adapters[0]!.id))).run({});
  const mergedBefore = await memory();
  const mergedTimes: number[] = [];
  for (const a of adapters.slice(1, quick ? 3 : 5)) {
    const t1 = performance.now();
    await merged.prepare(ask(a.id));
    mergedTimes.push(performance.now() - t1);
  }
  const mergedAfter = await memory();
  await merged.close();

  const extra = adapters.length - 1;
  const mergedExtra = mergedTimes.length;
  loadTimes.sort((a, b) => a - b);
  mergedTimes.sort((a, b) => a - b);
  line();
  line(`## LoRA adapters over the ${m.label} base: rank 8 on q, k, v, o, gate, up, down`);
  line("| | hot-loaded over the shared base | merged into a copy of the base (the alternative) |");
  line("|---|---|---|");
  line(
    `| load time of a new adapter, p50 (ms) | ${fmt(quantile(loadTimes, 0.5))} (already resident: ${fmt(residentMs, 2)}) | ${fmt(quantile(mergedTimes, 0.5))} (merge and compile a decoder) |`,
  );
  line(
    `| adapter weights held per extra adapter (KiB) | ${fmt(stats.bytes / stats.resident.length / 1024)} | ${fmt(baseBytes.byteLength / 1024)} (a whole base copy) |`,
  );
  line(
    `| measured growth of array buffers per extra adapter (KiB) | ${fmt((after.buffers - before.buffers) / extra / 1024)} | ${fmt((mergedAfter.buffers - mergedBefore.buffers) / mergedExtra / 1024)} (its weights and KV caches) |`,
  );
}
