import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { Graph } from "../graph/graph.ts";
import { initLlamaParameters, llamaForward } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { ortTensor } from "../runtime/ortTypes.ts";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import { Generator } from "./generator.ts";
import { sampleToken } from "./sampler.ts";

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
let generator: Generator;

beforeAll(async () => {
  generator = await Generator.create(config, params, tokenizer, { maxLen: 48 });
});
afterAll(async () => {
  await generator.release();
});

describe("generation with a KV cache", () => {
  it("each cached decode step gives the logits of a full forward pass over the prefix", async () => {
    const ids = [256, ...tokenizer.encode("hello there")];
    const g = new Graph("full");
    const w = new Map([...params].map(([name, p]) => [name, g.input(name, "float32", p.shape)]));
    const idsT = g.input("ids", "int32", [1, ids.length]);
    const mask = g.input("mask", "float32", [1, ids.length]);
    g.output("logits", llamaForward(config, { get: (n) => w.get(n)!, lora: () => undefined }, idsT, mask));
    const compiled = await CompiledGraph.compile(g);
    const feeds = Object.fromEntries(
      [...params].map(([name, p]) => [name, ortTensor("float32", p.data, p.shape)]),
    );
    feeds.ids = ortTensor("int32", Int32Array.from(ids), [1, ids.length]);
    feeds.mask = ortTensor("float32", new Float32Array(ids.length).fill(1), [1, ids.length]);
    const full = (await compiled.run(feeds)).logits!.data as Float32Array;
    await compiled.release();
    let parity: 0 | 1 = 0;
    let maxDiff = 0;
    for (let t = 0; t < ids.length; t++) {
      const step = await generator.step(ids[t]!, t, parity);
      parity = parity === 0 ? 1 : 0;
      for (let v = 0; v < config.vocab_size; v++)
        maxDiff = Math.max(maxDiff, Math.abs(step[v]! - full[t * config.vocab_size + v]!));
    }
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it("sampling with a fixed seed is reproducible, and another seed differs", async () => {
    const prompt = [256, ...tokenizer.encode("Once")];
    const options = { maxNewTokens: 24, temperature: 1.2, topP: 0.95 };
    const a = await generator.generate(prompt, { ...options, seed: 7 });
    const b = await generator.generate(prompt, { ...options, seed: 7 });
    const c = await generator.generate(prompt, { ...options, seed: 8 });
    expect(a.ids.length).toBeGreaterThan(0);
    expect(b.ids).toEqual(a.ids);
    expect(c.ids).not.toEqual(a.ids);
  });

  it("greedy decoding is deterministic and streams exactly the returned text", async () => {
    const prompt = [256, ...tokenizer.encode("The")];
    const pieces: string[] = [];
    const a = await generator.generate(prompt, { maxNewTokens: 20, onText: (d) => pieces.push(d) });
    const b = await generator.generate(prompt, { maxNewTokens: 20 });
    expect(a.ids).toEqual(b.ids);
    expect(pieces.join("")).toBe(a.text);
  });

  it("stops at a stop sequence and leaves it out of the text", async () => {
    const prompt = [256, ...tokenizer.encode("The")];
    const free = await generator.generate(prompt, { maxNewTokens: 30, temperature: 1, seed: 3 });
    expect(free.text.length).toBeGreaterThan(8);
    const stop = free.text.slice(5, 7);
    const stopped = await generator.generate(prompt, {
      maxNewTokens: 30,
      temperature: 1,
      seed: 3,
      stop: [stop],
    });
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
  });

  it("an aborted signal stops decoding between tokens, keeping what was streamed", async () => {
    const prompt = [256, ...tokenizer.encode("The")];
    const controller = new AbortController();
    let streamed = "";
    const stopped = await generator.generate(prompt, {
      maxNewTokens: 40,
      temperature: 1,
      seed: 5,
      onText: async (d) => {
        streamed += d;
        if (streamed.length >= 3) controller.abort();
      },
      signal: controller.signal,
    });
    expect(stopped.finishReason).toBe("abort");
    expect(stopped.ids.length).toBeLessThan(40);
    expect(stopped.text).toBe(streamed);
  });

  it("top-p keeps only the nucleus: with p small the sampler is greedy", () => {
    const logits = [0.1, 3, 0.2, 2.9];
    const rng = createRng(1);
    for (let i = 0; i < 50; i++) expect(sampleToken(logits, { temperature: 1, topP: 0.01 }, rng)).toBe(1);
    const seen = new Set(
      Array.from({ length: 200 }, () => sampleToken(logits, { temperature: 1, topP: 0.9 }, rng)),
    );
    expect(seen).toEqual(new Set([1, 3]));
  });
});
