import { describe, expect, it } from "vitest";
import { gradCheck } from "../autodiff/gradCheck.ts";
import { createRng } from "../data/random.ts";
import { Graph } from "../graph/graph.ts";
import { interpret } from "../reference/interpret.ts";
import type { NDArray } from "../reference/ndarray.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { ortTensor } from "../runtime/ortTypes.ts";
import { tokenLoss } from "../train/languageModelTask.ts";
import { initLlamaParameters, llamaForward, llamaParameterShapes } from "./llama.ts";
import { llamaConfig } from "./llamaConfig.ts";

const config = llamaConfig({
  hiddenSize: 8,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  intermediateSize: 12,
  vocabSize: 11,
  maxPositions: 16,
  tieWordEmbeddings: false,
});
const batch = 2;
const seq = 4;
const ids = [1, 5, 7, 2, 3, 3, 9, 0];
const targets = [5, 7, 2, 4, 3, 9, 0, 0];
const weights = [1, 1, 1, 1, 0, 1, 1, 0];
const mask = [1, 1, 1, 1, 1, 1, 1, 0];

function decoderGraph(dtype: "float32" | "float64") {
  const g = new Graph("tiny-decoder");
  const shapes = llamaParameterShapes(config);
  const w = new Map([...shapes].map(([name, shape]) => [name, g.input(name, dtype, shape)]));
  const idsT = g.input("ids", "int32", [batch, seq]);
  const targetsT = g.input("targets", "int32", [batch, seq]);
  const weightsT = g.input("weights", dtype, [batch, seq]);
  const maskT = g.input("mask", dtype, [batch, seq]);
  const logits = llamaForward(config, { get: (n) => w.get(n)!, lora: () => undefined }, idsT, maskT);
  const { loss } = tokenLoss(logits, targetsT, weightsT);
  return { g, w, loss, logits };
}

function feeds(): Record<string, NDArray> {
  const params = initLlamaParameters({ ...config, initializer_range: 0.5 }, createRng(5));
  const out: Record<string, NDArray> = {};
  for (const [name, p] of params)
    out[name] = {
      shape: p.shape,
      data: Float64Array.from(p.data, (v, i) => (name.includes("norm") ? 1 + 0.1 * Math.sin(i) : v)),
    };
  out.ids = { shape: [batch, seq], data: Float64Array.from(ids) };
  out.targets = { shape: [batch, seq], data: Float64Array.from(targets) };
  out.weights = { shape: [batch, seq], data: Float64Array.from(weights) };
  out.mask = { shape: [batch, seq], data: Float64Array.from(mask) };
  return out;
}

describe("Llama decoder", () => {
  it("whole tiny decoder (GQA, padding, untied head) has gradients equal to finite differences", () => {
    const { g, w, loss } = decoderGraph("float64");
    const result = gradCheck(g, loss, [...w.values()], feeds(), { maxPerInput: 4 });
    expect(result.checked).toBeGreaterThan(60);
    expect(result.maxError).toBeLessThan(1e-6);
  });

  it("ONNX Runtime computes the same logits as the float64 reference", async () => {
    const { g, logits } = decoderGraph("float32");
    g.output("logits", logits);
    const f = feeds();
    const want = interpret(g, f, [logits])[0]!;
    const compiled = await CompiledGraph.compile(g);
    const ortFeeds = Object.fromEntries(
      compiled.model.inputs.map((i) => [
        i.name,
        i.dtype === "int32"
          ? ortTensor("int32", Int32Array.from(f[i.name]!.data), f[i.name]!.shape)
          : ortTensor("float32", Float32Array.from(f[i.name]!.data), f[i.name]!.shape),
      ]),
    );
    const got = (await compiled.run(ortFeeds)).logits!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want.data[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    await compiled.release();
  });

  it("parameter names and shapes follow the Hugging Face LlamaForCausalLM layout", () => {
    const shapes = llamaParameterShapes(config);
    expect(shapes.get("model.embed_tokens.weight")).toEqual([11, 8]);
    expect(shapes.get("model.layers.1.self_attn.k_proj.weight")).toEqual([4, 8]);
    expect(shapes.get("model.layers.0.mlp.down_proj.weight")).toEqual([8, 12]);
    expect(shapes.get("lm_head.weight")).toEqual([11, 8]);
    expect(shapes.size).toBe(1 + 2 * 9 + 2);
  });
});
