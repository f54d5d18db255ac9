import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId } from "@flock/core";
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { Generator } from "../generate/generator.ts";
import { Graph } from "../graph/graph.ts";
import { encodeAdapterArtifact } from "../lora/adapterFile.ts";
import { initLoraParameters, loraBinder, mergeLora } from "../lora/loraAdapter.ts";
import { loraConfig } from "../lora/loraConfig.ts";
import { encodeBaseModel } from "../nn/baseModelFile.ts";
import { bindParameterInputs, llamaForward } from "../nn/llama.ts";
import { initTabularMlp, tabularMlpForward } from "../nn/tabularMlp.ts";
import { CompiledGraph } from "../runtime/compiledGraph.ts";
import { ortTensor } from "../runtime/ortTypes.ts";
import { tinyDecoder } from "../testing/tinyModel.ts";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import { exportTabularOnnx, ONNX_EXPORT_FORMAT, onnxFromArtifact } from "./onnxExport.ts";
import { writeTabularModel } from "./tabularModelFile.ts";

const { config, params: base } = tinyDecoder(5, 32);
const lora = loraConfig({ r: 4, alpha: 8 });
const adapter = initLoraParameters(config, lora, createRng(9));
for (const [name, p] of adapter) {
  if (name.includes("lora_B")) {
    const rng = createRng(name.length);
    for (let i = 0; i < p.data.length; i++) p.data[i] = rng.nextNormal() * 0.2;
  }
}
const baseBytes = encodeBaseModel({ config, params: base });
const adapterBytes = encodeAdapterArtifact({ lora, adapter, baseModel: contentId(baseBytes) });
const SEQ = config.max_position_embeddings;

/** The engine's forward with the adapter unmerged (its own Linear + LoRA path), weights fed as inputs. */
async function engineLogits(ids: Int32Array, mask: Float32Array, batch: number): Promise<Float32Array> {
  const g = new Graph("reference");
  const weights = bindParameterInputs(g, new Map([...base, ...adapter].map(([n, p]) => [n, p.shape])));
  const x = g.input("ids", "int32", [batch, SEQ]);
  const m = g.input("mask", "float32", [batch, SEQ]);
  g.output(
    "logits",
    llamaForward(config, { get: (n) => weights.get(n)!, lora: loraBinder(lora, weights) }, x, m),
  );
  const compiled = await CompiledGraph.compile(g);
  const feeds: Record<string, ort.Tensor> = {
    ids: ortTensor("int32", ids, [batch, SEQ]),
    mask: ortTensor("float32", mask, [batch, SEQ]),
  };
  for (const [n, p] of [...base, ...adapter]) feeds[n] = ortTensor("float32", p.data, p.shape);
  const out = await compiled.run(
    Object.fromEntries(compiled.model.inputs.map((i) => [i.name, feeds[i.name]!])),
  );
  await compiled.release();
  return out.logits!.data as Float32Array;
}

const python = ["/usr/bin/python3", "python3"].find((p) => {
  try {
    execFileSync(p, ["-c", "import onnx"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
});
const onCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";

describe("ONNX export of a LoRA fine-tune merged into its base", () => {
  const exported = onnxFromArtifact(adapterBytes, {
    baseModel: baseBytes,
    metadata: { name: "flock/tiny@1" },
  });

  it("is one self-contained file: token ids and mask in, logits out, the weights inside, its metadata", async () => {
    expect(exported.kind).toBe("causal-lm");
    expect(exported.inputs).toEqual([
      { name: "input_ids", dtype: "int64", shape: ["batch", SEQ] },
      { name: "attention_mask", dtype: "int64", shape: ["batch", SEQ] },
    ]);
    expect(exported.outputs).toEqual([{ name: "logits", dtype: "float32", shape: ["batch", SEQ, 32] }]);
    expect(exported.metadata).toMatchObject({
      "flock.format": ONNX_EXPORT_FORMAT,
      "flock.kind": "causal-lm",
      "flock.seq_len": String(SEQ),
      "flock.name": "flock/tiny@1",
    });
    expect(JSON.parse(exported.metadata["flock.config"]!)).toEqual(config);
    const session = await ort.InferenceSession.create(exported.bytes);
    expect(session.inputNames).toEqual(["input_ids", "attention_mask"]);
    expect(session.outputNames).toEqual(["logits"]);
    await session.release();
  });

  it("gives the engine's logits (adapter unmerged) within 1e-4 in onnxruntime-node, with right padding", async () => {
    // Row 0 fills the context; row 1 is a 7-token prompt padded with mask 0 (and junk ids).
    const rng = createRng(2);
    const ids = Int32Array.from({ length: 2 * SEQ }, () => rng.nextInt(32));
    const mask = new Float32Array(2 * SEQ).fill(1);
    for (let t = 7; t < SEQ; t++) mask[SEQ + t] = 0;
    const want = await engineLogits(ids, mask, 2);
    const session = await ort.InferenceSession.create(exported.bytes);
    const out = await session.run({
      input_ids: new ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [2, SEQ]),
      attention_mask: new ort.Tensor(
        "int64",
        BigInt64Array.from(mask, (v) => BigInt(v)),
        [2, SEQ],
      ),
    });
    await session.release();
    const got = out.logits!;
    expect(got.dims).toEqual([2, SEQ, 32]);
    const data = got.data as Float32Array;
    let worst = 0;
    for (let r = 0; r < 2; r++) {
      const positions = r === 0 ? SEQ : 7;
      for (let i = 0; i < positions * 32; i++) {
        worst = Math.max(worst, Math.abs(data[r * SEQ * 32 + i]! - want[r * SEQ * 32 + i]!));
      }
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it("greedy-decodes the engine Generator's tokens (KV cache) from a padded prompt, logits within 1e-4", async () => {
    const merged = mergeLora(config, base, lora, adapter);
    const generator = await Generator.create(config, merged, new ByteTokenizer(), { maxLen: SEQ });
    const prompt = [3, 1, 4, 1, 5, 9, 2, 6];
    const steps = 6;
    const generation = await generator.generate(prompt, { maxNewTokens: steps });
    // The Generator's logits at each position of prompt + generation, one step at a time.
    const sequence = [...prompt, ...generation.ids];
    const stepLogits: Float32Array[] = [];
    for (let t = 0; t < sequence.length; t++) {
      stepLogits.push(Float32Array.from(await generator.step(sequence[t]!, t, (t % 2) as 0 | 1)));
    }
    await generator.release();

    const session = await ort.InferenceSession.create(exported.bytes);
    const tokens = [...prompt];
    let worst = 0;
    for (let k = 0; k < steps; k++) {
      const ids = new BigInt64Array(SEQ);
      const mask = new BigInt64Array(SEQ);
      tokens.forEach((id, t) => {
        ids[t] = BigInt(id);
        mask[t] = 1n;
      });
      const logits = (
        await session.run({
          input_ids: new ort.Tensor("int64", ids, [1, SEQ]),
          attention_mask: new ort.Tensor("int64", mask, [1, SEQ]),
        })
      ).logits!.data as Float32Array;
      const last = logits.subarray((tokens.length - 1) * 32, tokens.length * 32);
      const reference = stepLogits[tokens.length - 1]!;
      for (let v = 0; v < 32; v++) worst = Math.max(worst, Math.abs(last[v]! - reference[v]!));
      let best = 0;
      for (let v = 1; v < 32; v++) if (last[v]! > last[best]!) best = v;
      tokens.push(best);
    }
    await session.release();
    expect(generation.ids).toHaveLength(steps);
    expect(tokens.slice(prompt.length)).toEqual(generation.ids);
    expect(worst).toBeLessThan(1e-4);
  });

  it.skipIf(python === undefined && !onCi)("passes the official ONNX checker (full check, opset 17)", () => {
    if (python === undefined) throw new Error("the ONNX checker (apt-get install python3-onnx) is missing");
    const dir = mkdtempSync(join(tmpdir(), "flock-onnx-export-"));
    try {
      writeFileSync(join(dir, "model.onnx"), exported.bytes);
      const script =
        "import onnx,sys\nm=onnx.load(sys.argv[1])\nonnx.checker.check_model(m, full_check=True)\n" +
        "print(m.opset_import[0].version, [i.name for i in m.graph.input], [o.name for o in m.graph.output], len(m.graph.initializer) > 0)";
      const out = execFileSync(python!, ["-c", script, join(dir, "model.onnx")], { encoding: "utf8" });
      expect(out.trim()).toBe("17 ['input_ids', 'attention_mask'] ['logits'] True");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a shorter sequence length makes a smaller graph with the same logits", async () => {
    const short = onnxFromArtifact(adapterBytes, { baseModel: baseBytes, seqLen: 8 });
    expect(short.inputs[0]!.shape).toEqual(["batch", 8]);
    const ids = BigInt64Array.from({ length: 8 }, (_, i) => BigInt((i * 5) % 32));
    const ones = new BigInt64Array(8).fill(1n);
    const padded = new BigInt64Array(SEQ);
    padded.set(ids);
    const paddedMask = new BigInt64Array(SEQ);
    paddedMask.set(ones);
    const a = await ort.InferenceSession.create(short.bytes);
    const b = await ort.InferenceSession.create(exported.bytes);
    const x = (
      await a.run({
        input_ids: new ort.Tensor("int64", ids, [1, 8]),
        attention_mask: new ort.Tensor("int64", ones, [1, 8]),
      })
    ).logits!.data as Float32Array;
    const y = (
      await b.run({
        input_ids: new ort.Tensor("int64", padded, [1, SEQ]),
        attention_mask: new ort.Tensor("int64", paddedMask, [1, SEQ]),
      })
    ).logits!.data as Float32Array;
    await a.release();
    await b.release();
    for (let i = 0; i < 8 * 32; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-4);
  });

  it("refuses what it cannot export, with a code and a hint", () => {
    const cases: [() => unknown, string][] = [
      [() => onnxFromArtifact(new TextEncoder().encode("not a model")), "ONNX_EXPORT_UNSUPPORTED"],
      [() => onnxFromArtifact(adapterBytes), "ONNX_EXPORT_UNSUPPORTED"],
      [() => onnxFromArtifact(adapterBytes, { baseModel: adapterBytes }), "ARTIFACT_WRONG_BASE"],
      [() => onnxFromArtifact(baseBytes, { seqLen: 0 }), "ONNX_SEQ_LEN_INVALID"],
      [() => onnxFromArtifact(baseBytes, { seqLen: SEQ + 1 }), "ONNX_SEQ_LEN_INVALID"],
    ];
    for (const [run, code] of cases) {
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code, hint: expect.any(String) });
    }
  });
});

describe("ONNX export of a tabular classifier", () => {
  it("gives the engine's logits from features", async () => {
    const spec = {
      config: { kind: "classifier" as const, numFeatures: 4, hidden: [8], numClasses: 3 },
      features: ["a", "b", "c", "d"],
      label: "y",
    };
    const params = initTabularMlp(spec.config, createRng(4));
    const exported = onnxFromArtifact(writeTabularModel(spec, params));
    expect(exported.inputs).toEqual([{ name: "features", dtype: "float32", shape: ["batch", 4] }]);
    expect(exported.outputs).toEqual([{ name: "logits", dtype: "float32", shape: ["batch", 3] }]);
    expect(exportTabularOnnx(spec, params).bytes).toEqual(exported.bytes);
    const features = Float32Array.from({ length: 5 * 4 }, (_, i) => Math.sin(i));
    const session = await ort.InferenceSession.create(exported.bytes);
    const got = (await session.run({ features: new ort.Tensor("float32", features, [5, 4]) })).logits!
      .data as Float32Array;
    await session.release();
    const g = new Graph("reference");
    const weights = bindParameterInputs(g, new Map([...params].map(([n, p]) => [n, p.shape])));
    g.output("out", tabularMlpForward(spec.config, weights, g.input("x", "float32", [5, 4])));
    const compiled = await CompiledGraph.compile(g);
    const feeds: Record<string, ort.Tensor> = { x: ortTensor("float32", features, [5, 4]) };
    for (const [n, p] of params) feeds[n] = ortTensor("float32", p.data, p.shape);
    const want = (await compiled.run(feeds)).out!.data as Float32Array;
    await compiled.release();
    for (let i = 0; i < 15; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-5);
  });
});
