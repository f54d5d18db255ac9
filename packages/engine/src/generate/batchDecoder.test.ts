import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { initLoraParameters, mergeLora } from "../lora/loraAdapter.ts";
import { loraConfig } from "../lora/loraConfig.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import { BatchDecoder, rowAdapterOf } from "./batchDecoder.ts";
import { Generator } from "./generator.ts";

const config = llamaConfig({
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  vocabSize: 261,
  maxPositions: 48,
});
const params = initLlamaParameters({ ...config, initializer_range: 0.3 }, createRng(4));
const tokenizer = new ByteTokenizer();
const lora = loraConfig({ r: 4, targetModules: ["q_proj", "v_proj", "o_proj", "up_proj", "down_proj"] });
/** A trained-looking adapter: random A and B (B is zero at initialization). */
function randomAdapter(seed: number) {
  const adapter = initLoraParameters(config, lora, createRng(seed));
  const rng = createRng(seed + 1);
  for (const [name, p] of adapter)
    if (name.includes("lora_B")) for (let i = 0; i < p.data.length; i++) p.data[i] = (rng.next() - 0.5) * 0.6;
  return adapter;
}
const adapters = [randomAdapter(7), randomAdapter(8)];

let base: Generator;
let merged: Generator[];
beforeAll(async () => {
  base = await Generator.create(config, params, tokenizer, { maxLen: 48 });
  merged = await Promise.all(
    adapters.map((a) =>
      Generator.create(config, mergeLora(config, params, lora, a), tokenizer, { maxLen: 48 }),
    ),
  );
});
afterAll(async () => {
  await base.release();
  for (const g of merged) await g.release();
});

/** Logits of every position of `seq` from the one-row cached step of `generator`. */
async function oneRow(generator: Generator, seq: number[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  let parity: 0 | 1 = 0;
  for (let t = 0; t < seq.length; t++) {
    out.push((await generator.step(seq[t]!, t, parity)).slice());
    parity = parity === 0 ? 1 : 0;
  }
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/**
 * Rows start at different steps; each reads the first `prefilled[r]` tokens of its sequence by chunked
 * prefill (chunks of 4, the last one padded), then one token per batched step. Returns, per row, the logits
 * after each position from `prefilled[r] - 1` on.
 */
async function runBatched(
  decoder: BatchDecoder,
  seqs: number[][],
  start: number[],
  prefilled: number[],
): Promise<Float32Array[][]> {
  const vocab = config.vocab_size;
  const out = seqs.map(() => [] as Float32Array[]);
  const next = seqs.map(() => 0);
  for (let step = 0; next.some((n, r) => n < seqs[r]!.length); step++) {
    for (const [r, seq] of seqs.entries()) {
      if (step !== start[r]) continue;
      for (let at = 0; at < prefilled[r]!; at += decoder.prefillChunk) {
        const chunk = seq.slice(at, Math.min(prefilled[r]!, at + decoder.prefillChunk));
        const logits = await decoder.prefill(r, chunk, at);
        if (at + chunk.length === prefilled[r]) out[r]!.push(logits.slice());
      }
      next[r] = prefilled[r]!;
    }
    const live = seqs.map((s, r) => step >= start[r]! && next[r]! < s.length);
    const logits = await decoder.step(
      seqs.map((s, r) => (live[r] ? s[next[r]!]! : 0)),
      next.map((n, r) => (live[r] ? n : 0)),
      live,
    );
    for (const [r] of seqs.entries()) {
      if (!live[r]) continue;
      out[r]!.push(logits.slice(r * vocab, (r + 1) * vocab));
      next[r]!++;
    }
  }
  return out;
}

describe("batched decoding with in-place caches and chunked prefill", () => {
  const seqs = ["hello there, friend", "abc", "The quick brown fox"].map((t) => [
    256,
    ...tokenizer.encode(t),
  ]);

  it("rows at their own positions, prefilled in chunks, give the one-row step's logits", async () => {
    const decoder = await BatchDecoder.create(config, params, { rows: 3, maxLen: 48, prefillChunk: 4 });
    const prefilled = [10, 1, 5];
    const batched = await runBatched(decoder, seqs, [0, 3, 1], prefilled);
    await decoder.release();
    let diff = 0;
    for (const [r, seq] of seqs.entries()) {
      const single = await oneRow(base, seq);
      const expected = single.slice(prefilled[r]! - 1);
      expect(batched[r]!.length).toBe(expected.length);
      for (const [i, logits] of expected.entries()) diff = Math.max(diff, maxDiff(logits, batched[r]![i]!));
    }
    expect(diff).toBeLessThan(1e-4);
  });

  it("rows with different adapters of the base, and a row without, share steps: each as its merged model", async () => {
    const decoder = await BatchDecoder.create(config, params, { rows: 3, maxLen: 48, prefillChunk: 4 });
    const row = adapters.map((a) => rowAdapterOf(config, lora, a));
    await decoder.setAdapter(0, row[0]);
    await decoder.setAdapter(2, row[1]);
    const prefilled = [6, 2, 7];
    const batched = await runBatched(decoder, seqs, [0, 0, 2], prefilled);
    // The row leaves its adapter: the base graph again once no row has one.
    await decoder.setAdapter(0, undefined);
    await decoder.setAdapter(2, undefined);
    const again = await runBatched(decoder, [seqs[1]!], [0], [2]);
    await decoder.release();
    const models = [merged[0]!, base, merged[1]!];
    let diff = 0;
    for (const [r, seq] of seqs.entries()) {
      const expected = (await oneRow(models[r]!, seq)).slice(prefilled[r]! - 1);
      for (const [i, logits] of expected.entries()) diff = Math.max(diff, maxDiff(logits, batched[r]![i]!));
    }
    const plain = (await oneRow(base, seqs[1]!)).slice(1);
    for (const [i, logits] of plain.entries()) diff = Math.max(diff, maxDiff(logits, again[0]![i]!));
    expect(diff).toBeLessThan(1e-4);
    // The adapter changes the model: its logits are not the base's.
    const first = (await oneRow(base, seqs[0]!))[5]!;
    expect(maxDiff(first, batched[0]![0]!)).toBeGreaterThan(1e-2);
    expect(row[0]!.bytes).toBe(
      [...row[0]!.modules.values()].reduce((s, m) => s + 4 * (m.inp + m.out) * lora.r, 0),
    );
  });

  it("refuses a prefill chunk longer than the compiled one, and an adapter above the largest rank", async () => {
    const decoder = await BatchDecoder.create(config, params, {
      rows: 2,
      maxLen: 48,
      prefillChunk: 4,
      lora: { maxRank: 2 },
    });
    await expect(decoder.prefill(0, [1, 2, 3, 4, 5], 0)).rejects.toMatchObject({
      code: "ENGINE_PREFILL_CHUNK",
    });
    await expect(decoder.setAdapter(0, rowAdapterOf(config, lora, adapters[0]!))).rejects.toMatchObject({
      code: "ENGINE_ADAPTER_UNSUPPORTED",
    });
    await decoder.release();
  });
});
