/**
 * Per-op time breakdown of one compiled step (ONNX Runtime's profiler), to see where a step spends its
 * time: `node bench/profile.ts train|eval a|b`.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { createRng } from "../src/data/random.ts";
import { buildEvalGraph } from "../src/eval/evaluateLanguageModel.ts";
import { initLlamaParameters } from "../src/nn/llama.ts";
import { llamaConfig } from "../src/nn/llamaConfig.ts";
import { exportOnnx } from "../src/onnx/exportOnnx.ts";
import { adamw } from "../src/optim/adamw.ts";
import { allocate, ortTensor } from "../src/runtime/ortTypes.ts";
import { languageModelTask } from "../src/train/languageModelTask.ts";
import { buildStepGraph } from "../src/train/trainGraph.ts";

const [mode = "train", name = "a"] = process.argv.slice(2);
const runs = 10;
const s =
  name === "a"
    ? { d: 128, layers: 4, heads: 4, seq: 64, batch: 16 }
    : { d: 256, layers: 6, heads: 8, seq: 128, batch: 8 };
const config = llamaConfig({
  hiddenSize: s.d,
  numLayers: s.layers,
  numHeads: s.heads,
  vocabSize: 261,
  maxPositions: s.seq,
});
const params = initLlamaParameters(config, createRng(1));
const task = languageModelTask(config, params, { batchSize: s.batch, seqLen: s.seq });
const graph =
  mode === "train"
    ? buildStepGraph(task, { optimizer: adamw(), clipNorm: 1, mode: "fused" })
    : buildEvalGraph(config, params, s.batch, s.seq, {});
const model = exportOnnx(graph);
const prefix = join(tmpdir(), `flock-profile-${process.pid}`);
const session = await ort.InferenceSession.create(model.bytes, {
  intraOpNumThreads: 2,
  executionMode: "sequential",
  graphOptimizationLevel: "all",
  enableProfiling: true,
  profileFilePrefix: prefix,
});
const feeds: Record<string, ort.Tensor> = {};
for (const input of model.inputs) {
  const shape = input.shape as number[];
  const data = allocate(
    input.dtype,
    shape.reduce((a, b) => a * b, 1),
  );
  if (data instanceof Float32Array) data.fill(input.name.startsWith("optim") ? 1e-3 : 0.01);
  if (data instanceof Int32Array) data.fill(3);
  feeds[input.name] = ortTensor(input.dtype, data, shape);
}
const start = performance.now();
for (let i = 0; i < runs; i++) await session.run(feeds);
const wall = (performance.now() - start) / runs;
await session.release();
// ORT writes `<prefix>_<timestamp>.json` when the session is released.
const base = `flock-profile-${process.pid}`;
const file = join(tmpdir(), readdirSync(tmpdir()).find((f) => f.startsWith(base))!);
const profile = readFileSync(file, "utf8");
type Event = { cat?: string; name: string; dur: number; args: { op_name: string } };
const byOp = new Map<string, { ms: number; count: number }>();
for (const e of JSON.parse(profile) as Event[]) {
  if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
  const entry = byOp.get(e.args.op_name) ?? { ms: 0, count: 0 };
  entry.ms += e.dur / 1000 / runs;
  entry.count += 1 / runs;
  byOp.set(e.args.op_name, entry);
}
rmSync(file, { force: true });
const total = [...byOp.values()].reduce((a, e) => a + e.ms, 0);
console.log(`${mode} ${name}: ${wall.toFixed(1)} ms per step, ${graph.nodes.length} IR nodes`);
for (const [op, e] of [...byOp].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(
    `${op.padEnd(22)} ${e.ms.toFixed(2).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%  ×${Math.round(e.count)}`,
  );
}
