import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { contentId, sha256Hex } from "@flock/core";
import { chromiumAvailability, launchChromium } from "@flock/core/testing";
import {
  ByteTokenizer,
  createRng,
  encodeAdapterArtifact,
  encodeBaseModel,
  Generator,
  initLlamaParameters,
  initLoraParameters,
  initTabularMlp,
  llamaConfig,
  loraConfig,
  mergeLora,
  writeTabularModel,
} from "@flock/engine";
import type { ModelKind } from "@flock/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";

const chromium = chromiumAvailability();
if (chromium.kind === "missing" && chromium.required) throw new Error(chromium.message);

// A small decoder with grouped-query attention and a LoRA fine-tune of it, as an Arena task registers them.
const config = llamaConfig({
  hiddenSize: 32,
  numLayers: 2,
  numHeads: 4,
  numKvHeads: 2,
  vocabSize: 64,
  maxPositions: 24,
});
const base = initLlamaParameters(config, createRng(21));
// Weights 20× their initial scale, so greedy decoding is not one token repeated (here 18 53 42 9 61, each best
// token ahead of the runner-up by more than 0.3).
for (const [name, p] of base) {
  if (!name.endsWith("norm.weight")) for (let i = 0; i < p.data.length; i++) p.data[i]! *= 20;
}
const lora = loraConfig({ r: 4, alpha: 8 });
const adapter = initLoraParameters(config, lora, createRng(22));
for (const [name, p] of adapter) {
  if (!name.includes("lora_B")) continue;
  const rng = createRng(name.length + 7);
  for (let i = 0; i < p.data.length; i++) p.data[i] = rng.nextNormal() * 0.3;
}
const baseBytes = encodeBaseModel({ config, params: base });
const adapterBytes = encodeAdapterArtifact({ lora, adapter, baseModel: contentId(baseBytes) });
const PROMPT = [5, 17, 42, 8, 33, 2, 60];
const STEPS = 5;
const SEQ = 16;

/** The page the test opens: ONNX Runtime Web from the onnxruntime-web package, and a greedy decoder. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>Flock model in the browser</title>
<script type="module">
import * as ort from "./ort.wasm.min.mjs";
ort.env.wasm.wasmPaths = new URL("./", location.href).href;
ort.env.wasm.numThreads = 1;
// Greedy decoding with the full-sequence graph: the prompt and the tokens so far, right-padded to its length.
window.greedy = async (url, prompt, steps) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error("GET " + url + ": " + response.status + " " + (await response.text()));
  const bytes = new Uint8Array(await response.arrayBuffer());
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  const seq = Number(new URL(url, location.href).searchParams.get("seqLen"));
  const tokens = [...prompt];
  const stepLogits = [];
  let promptLogits = [];
  let dims = [];
  for (let k = 0; k < steps; k++) {
    const ids = new BigInt64Array(seq);
    const mask = new BigInt64Array(seq);
    tokens.forEach((id, t) => { ids[t] = BigInt(id); mask[t] = 1n; });
    const { logits } = await session.run({
      input_ids: new ort.Tensor("int64", ids, [1, seq]),
      attention_mask: new ort.Tensor("int64", mask, [1, seq]),
    });
    dims = logits.dims;
    const vocab = dims[2];
    if (k === 0) promptLogits = Array.from(logits.data.subarray(0, prompt.length * vocab));
    const last = logits.data.subarray((tokens.length - 1) * vocab, tokens.length * vocab);
    stepLogits.push(Array.from(last));
    let best = 0;
    for (let v = 1; v < vocab; v++) if (last[v] > last[best]) best = v;
    tokens.push(best);
  }
  const names = { inputs: session.inputNames, outputs: session.outputNames };
  await session.release();
  return { sha256, names, dims, promptLogits, stepLogits, tokens: tokens.slice(prompt.length) };
};
window.ortReady = true;
</script>`;

/** Register a model straight in the registry (as the settlement and FL hooks do). */
async function register(t: TestApp, name: string, kind: ModelKind, artifact: string, baseModel: string) {
  const task = await t.repos.tasks.create({
    title: name,
    description: "d",
    type: kind === "arena-tabular" ? "classifier" : "lm-lora",
    baseModel,
    contextLength: config.max_position_embeddings,
    maxTrainableParams: 100_000,
    trainingSetId: contentId(`train ${name}`),
    validationCommitment: contentId(`hidden ${name}`),
    submissionDeadline: new Date(Date.now() + 3_600_000),
    endTime: new Date(Date.now() + 7_200_000),
    rewardWeight: 1n,
    minStake: 1000n,
    minLockDays: 0,
    status: "draft",
    creator: "0x00000000000000000000000000000000000000a1",
  });
  return t.repos.models.register({
    name,
    kind,
    taskId: task.id,
    baseModel,
    artifact,
    license: "apache-2.0",
    metrics: {},
    lineage: {
      task: { id: task.id, title: name, type: task.type, kind: "arena" },
      baseModel,
      trainers: ["0x00000000000000000000000000000000000000a1"],
      validators: [],
      datasets: [],
    },
  });
}

/**
 * Moonbase's ONNX export end to end: a LoRA fine-tune registered in the coordinator is fetched over 127.0.0.1 by a
 * page in Debian's Chromium, which runs it with onnxruntime-web (WASM) and greedy-decodes; the logits and tokens
 * equal the engine's own (KV-cache Generator on the merged weights) in Node.
 */
describe("a registry model's ONNX export", () => {
  let t: TestApp;
  let origin = "";

  beforeAll(async () => {
    t = await startTestApp();
    origin = await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    const baseId = await t.publish(baseBytes);
    await register(t, "flock/lm-lora-browser", "arena-lora", await t.publish(adapterBytes), baseId);
    await register(t, "flock/raw-model", "arena-full", await t.publish("not a model file"), baseId);
    const spec = {
      config: { kind: "classifier" as const, numFeatures: 3, hidden: [4], numClasses: 2 },
      features: ["a", "b", "c"],
      label: "y",
    };
    const tabular = writeTabularModel(spec, initTabularMlp(spec.config, createRng(1)));
    const tabularId = await t.publish(tabular);
    await register(t, "flock/tabular", "arena-tabular", tabularId, tabularId);
  }, 60_000);
  afterAll(() => t?.dispose());

  it("is served by name@version with its kind and sha256, and refused with clear codes where it cannot be", async () => {
    const ok = await fetch(`${origin}/models/flock%2Flm-lora-browser@1/onnx?seqLen=${SEQ}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toBe("application/octet-stream");
    expect(ok.headers.get("content-disposition")).toBe(
      'attachment; filename="flock--lm-lora-browser-v1.onnx"',
    );
    expect(ok.headers.get("x-flock-onnx-kind")).toBe("causal-lm");
    const bytes = new Uint8Array(await ok.arrayBuffer());
    expect(ok.headers.get("etag")).toBe(`"${sha256Hex(bytes)}"`);
    const tabular = await fetch(`${origin}/models/flock%2Ftabular/onnx`);
    expect(tabular.status).toBe(200);
    expect(tabular.headers.get("x-flock-onnx-kind")).toBe("classifier");

    const refusals: [string, number, string][] = [
      ["/models/flock%2Fnothing/onnx", 404, "MODEL_NOT_FOUND"],
      ["/models/flock%2Fraw-model/onnx", 404, "MODEL_ONNX_UNAVAILABLE"],
      [
        `/models/flock%2Flm-lora-browser/onnx?seqLen=${config.max_position_embeddings + 1}`,
        400,
        "ONNX_SEQ_LEN_INVALID",
      ],
    ];
    for (const [path, status, code] of refusals) {
      const response = await fetch(`${origin}${path}`);
      const body = (await response.json()) as { code: string; hint?: string };
      expect({ path, status: response.status, code: body.code }).toEqual({ path, status, code });
      expect(body.hint).toEqual(expect.any(String));
    }
    const zero = await fetch(`${origin}/models/flock%2Flm-lora-browser/onnx?seqLen=0`);
    expect(zero.status).toBe(400);
    // The card tells how to get the file; a model without an export does not offer one.
    const card = await (await fetch(`${origin}/models/flock%2Flm-lora-browser/card`)).text();
    expect(card).toContain("flock models download flock/lm-lora-browser@1 --format onnx");
    expect(card).toMatch(/`http:\/\/127\.0\.0\.1:\d+\/models\/\d+\/onnx`/);
    const rawCard = await (await fetch(`${origin}/models/flock%2Fraw-model/card`)).text();
    expect(rawCard).not.toContain("--format onnx");
  });

  it.skipIf(chromium.kind === "missing")(
    "runs in Chromium with onnxruntime-web: the logits and greedy tokens equal the engine's in Node",
    async () => {
      // The engine in Node: the adapter merged into its base, decoded with the KV-cache Generator.
      const merged = mergeLora(config, base, lora, adapter);
      const generator = await Generator.create(config, merged, new ByteTokenizer(), { maxLen: SEQ });
      const generation = await generator.generate(PROMPT, { maxNewTokens: STEPS });
      const sequence = [...PROMPT, ...generation.ids];
      const reference: Float32Array[] = [];
      for (let p = 0; p < sequence.length; p++)
        reference.push(Float32Array.from(await generator.step(sequence[p]!, p, (p % 2) as 0 | 1)));
      await generator.release();
      expect(generation.ids).toHaveLength(STEPS);
      expect(new Set(generation.ids).size).toBeGreaterThan(2);

      const ortDist = dirname(createRequire(import.meta.url).resolve("onnxruntime-web"));
      const files: Record<string, [string, string]> = {
        "ort.wasm.min.mjs": [join(ortDist, "ort.wasm.min.mjs"), "text/javascript"],
        "ort-wasm-simd-threaded.mjs": [join(ortDist, "ort-wasm-simd-threaded.mjs"), "text/javascript"],
        "ort-wasm-simd-threaded.wasm": [join(ortDist, "ort-wasm-simd-threaded.wasm"), "application/wasm"],
      };
      const chrome = await launchChromium((chromium as { executablePath: string }).executablePath);
      try {
        // The page and ONNX Runtime Web's files are answered by the test on the coordinator's origin, so the page
        // fetches the model from the coordinator itself (same origin, no CORS involved).
        await chrome.context.route(`${origin}/onnx-page/*`, async (route) => {
          const name = new URL(route.request().url()).pathname.slice("/onnx-page/".length);
          if (name === "" || name === "index.html")
            return route.fulfill({ status: 200, contentType: "text/html", body: PAGE });
          const file = files[name];
          if (file === undefined) return route.fulfill({ status: 404, body: "" });
          return route.fulfill({ status: 200, contentType: file[1], body: await readFile(file[0]) });
        });
        const page = await chrome.context.newPage();
        const errors: string[] = [];
        page.on("pageerror", (error) => errors.push(error.message));
        await page.goto(`${origin}/onnx-page/`);
        await page.waitForFunction(() => (globalThis as { ortReady?: boolean }).ortReady === true, null, {
          timeout: 20_000,
        });
        const result = (await page.evaluate(
          ([url, prompt, steps]) =>
            (
              globalThis as unknown as {
                greedy(url: string, prompt: number[], steps: number): Promise<unknown>;
              }
            ).greedy(url, prompt, steps),
          [`/models/flock%2Flm-lora-browser@1/onnx?seqLen=${SEQ}`, PROMPT, STEPS] as const,
        )) as {
          sha256: string;
          names: { inputs: string[]; outputs: string[] };
          dims: number[];
          promptLogits: number[];
          stepLogits: number[][];
          tokens: number[];
        };
        expect(errors).toEqual([]);
        expect(chrome.blocked).toEqual([]);
        expect(result.names).toEqual({ inputs: ["input_ids", "attention_mask"], outputs: ["logits"] });
        expect(result.dims).toEqual([1, SEQ, config.vocab_size]);
        // The page ran the very file the coordinator serves.
        const served = await fetch(`${origin}/models/flock%2Flm-lora-browser@1/onnx?seqLen=${SEQ}`);
        expect(`"${result.sha256}"`).toBe(served.headers.get("etag"));

        expect(result.tokens).toEqual(generation.ids);
        let worst = 0;
        const V = config.vocab_size;
        for (let p = 0; p < PROMPT.length; p++)
          for (let v = 0; v < V; v++)
            worst = Math.max(worst, Math.abs(result.promptLogits[p * V + v]! - reference[p]![v]!));
        result.stepLogits.forEach((row, k) => {
          const want = reference[PROMPT.length - 1 + k]!;
          for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(row[v]! - want[v]!));
        });
        console.log(
          `browser vs engine: max |logit difference| ${worst.toExponential(2)} over ${PROMPT.length + STEPS} positions`,
        );
        expect(worst).toBeLessThan(1e-4);
      } finally {
        await chrome.close();
      }
    },
    60_000,
  );
});
