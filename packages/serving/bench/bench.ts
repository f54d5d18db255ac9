/**
 * The serving benchmark (`npm run bench -w @flock/serving`): aggregate tokens/s and time to first token (p50,
 * p95) at 1, 4 and 16 concurrent streams, continuous batching against one request at a time on the same
 * engine and model, measured in one run on this machine and printed, never asserted.
 *
 * Models: the tests' tiny byte-level decoder (d32, 2 layers) and a small one (d128, 4 layers, 8 heads).
 * `--quick` shrinks every size (a smoke run of the script itself).
 */
import { cpus } from "node:os";
import { createRng, encodeBaseModel, initLlamaParameters, llamaConfig } from "@flock/engine";
import { CompletionEngine } from "../src/completionEngine.ts";
import { parseChatCompletionRequest } from "../src/completionRequest.ts";
import { type CatalogModel, staticModelCatalog } from "../src/modelCatalog.ts";
import { tinyChatModel } from "../src/testing/tinyChatModel.ts";

const quick = process.argv.includes("--quick");
const line = (text = "") => process.stdout.write(`${text}\n`);
const fmt = (x: number, digits = 3) => Number(x.toPrecision(digits)).toLocaleString("en-US");

function smallModel(): CatalogModel {
  const config = llamaConfig({
    hiddenSize: 128,
    numLayers: 4,
    numHeads: 8,
    numKvHeads: 4,
    vocabSize: 261,
    maxPositions: 256,
  });
  const params = initLlamaParameters({ ...config, initializer_range: 0.3 }, createRng(9));
  const bytes = encodeBaseModel({ config, params });
  return { id: "small", created: 0, ownedBy: "flock", weights: async () => ({ baseModel: bytes }) };
}

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
line(`${cpus()[0]?.model ?? "cpu"}, ${cpus().length} cores; greedy decoding, prompts fed one token per step`);
const tokens = quick ? 16 : 96;
for (const model of [tinyChatModel("tiny", 4, 256), smallModel()]) {
  const catalog = staticModelCatalog([model]);
  line();
  line(`## model ${model.id}, ${tokens} new tokens per stream`);
  line(
    "| streams | one at a time tok/s | batched tok/s | ratio | TTFT p50 / p95 one at a time (ms) | TTFT p50 / p95 batched (ms) |",
  );
  line("|---|---|---|---|---|---|");
  for (const streams of quick ? [1, 4] : [1, 4, 16]) {
    const single = new CompletionEngine(catalog);
    const batched = new CompletionEngine(catalog, { batchRows: streams });
    // Load (compile) each engine's model outside the measurement.
    await measure(single, model.id, 1, 2);
    await measure(batched, model.id, 1, 2);
    const a = await measure(single, model.id, streams, tokens);
    const b = await measure(batched, model.id, streams, tokens);
    line(
      `| ${streams} | ${fmt(a.tokensPerSecond)} | ${fmt(b.tokensPerSecond)} | ${fmt(b.tokensPerSecond / a.tokensPerSecond, 2)}× | ` +
        `${fmt(a.p50)} / ${fmt(a.p95)} | ${fmt(b.p50)} / ${fmt(b.p95)} |`,
    );
    await single.close();
    await batched.close();
  }
}
