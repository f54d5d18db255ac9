import { createRequire } from "node:module";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import * as ortWeb from "onnxruntime-web";
import { describe, expect, it } from "vitest";
import { buildEvalGraph, LanguageModelEvaluator } from "../eval/evaluateLanguageModel.ts";
import { exportOnnx } from "../onnx/exportOnnx.ts";
import { patternBatches, tinyDecoder } from "../testing/tinyModel.ts";

describe("onnxruntime-web", () => {
  it("runs a compiled evaluation graph under the WASM backend in Node with the same results", async () => {
    // Point the WASM backend at its own files in node_modules: no network, one thread.
    const dist = dirname(createRequire(import.meta.url).resolve("onnxruntime-web"));
    ortWeb.env.wasm.wasmPaths = pathToFileURL(`${dist}/`).href;
    ortWeb.env.wasm.numThreads = 1;

    const { config, params } = tinyDecoder(3);
    const batch = patternBatches(1, 2, 16, 32, 1)[0]!;
    const model = exportOnnx(buildEvalGraph(config, params, 2, 16, {}));
    const session = await ortWeb.InferenceSession.create(model.bytes, { executionProviders: ["wasm"] });
    const feeds: Record<string, ortWeb.Tensor> = {};
    for (const [name, p] of params) feeds[name] = new ortWeb.Tensor("float32", p.data, p.shape);
    feeds.inputIds = new ortWeb.Tensor("int32", batch.inputIds, [2, 16]);
    feeds.targets = new ortWeb.Tensor("int32", batch.targets, [2, 16]);
    feeds.attentionMask = new ortWeb.Tensor("float32", batch.attentionMask, [2, 16]);
    const inputs = Object.fromEntries(model.inputs.map((i) => [i.name, feeds[i.name]!]));
    const web = (await session.run(inputs)).nll!.data as Float32Array;
    await session.release();

    const evaluator = new LanguageModelEvaluator(config, params);
    const native = await evaluator.tokenNll(batch);
    await evaluator.release();
    expect(web.length).toBe(32);
    for (let i = 0; i < web.length; i++) expect(Math.abs(web[i]! - native[i]!)).toBeLessThan(1e-4);
  });
});
