import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { decodeAdapterArtifact, encodeAdapterArtifact } from "../lora/adapterFile.ts";
import { loadLoraAdapter } from "../lora/adapterFiles.ts";
import { initLoraParameters } from "../lora/loraAdapter.ts";
import { loraConfig } from "../lora/loraConfig.ts";
import { decodeBaseModel, encodeBaseModel } from "../nn/baseModelFile.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { loadLlama } from "../nn/llamaFiles.ts";
import { artifactFromHfFolder, hfFolderFromArtifact, readHfAdapterFolder } from "./hfFolder.ts";

const config = llamaConfig({ hiddenSize: 16, numLayers: 2, numHeads: 2, vocabSize: 32, maxPositions: 16 });
const params = initLlamaParameters(config, createRng(1));
const lora = loraConfig({ r: 2, alpha: 4, targetModules: ["q_proj", "v_proj"] });
const adapter = initLoraParameters(config, lora, createRng(2));
// B starts at 0: give it values so a lost tensor would show.
for (const [name, p] of adapter) if (name.includes("lora_B")) p.data.fill(0.25);
const BASE = "sha256:" + "ab".repeat(32);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "flock-hf-folder-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeFolder(name: string, files: ReadonlyMap<string, Uint8Array>): Promise<string> {
  const out = join(dir, name);
  await rm(out, { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(out, { recursive: true }));
  for (const [file, bytes] of files) await writeFile(join(out, file), bytes);
  return out;
}

/** What Python sees in a folder: its JSON files and each safetensors file's tensors (name → dtype, shape). */
function pythonView(folder: string): { module: boolean; view: Record<string, unknown> } | undefined {
  const script = `
import json, os, struct, sys
folder = sys.argv[1]
out = {}
for name in sorted(os.listdir(folder)):
    path = os.path.join(folder, name)
    if name.endswith(".json"):
        out[name] = json.load(open(path))
    elif name.endswith(".safetensors"):
        with open(path, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
        out[name] = {k: [v["dtype"], v["shape"]] for k, v in header.items() if k != "__metadata__"}
try:
    from safetensors.numpy import load_file
    module = True
    for name in os.listdir(folder):
        if name.endswith(".safetensors"):
            loaded = load_file(os.path.join(folder, name))
            assert sorted(loaded) == sorted(out[name]), "safetensors sees other tensors"
except ImportError:
    module = False
print(json.dumps({"module": module, "view": out}))
`;
  const run = spawnSync("python3", ["-c", script, folder], { encoding: "utf8" });
  if (run.error !== undefined || run.status !== 0) {
    if (run.error !== undefined) return undefined;
    throw new Error(run.stderr);
  }
  return JSON.parse(run.stdout);
}

describe("Hugging Face folders from Flock artifacts", () => {
  it("a LoRA adapter becomes PEFT's adapter_config.json + adapter_model.safetensors and reads back the same", async () => {
    const artifact = encodeAdapterArtifact({ lora, adapter, baseModel: BASE });
    const folder = hfFolderFromArtifact(artifact, { baseModelName: "flock/tiny-llama" });
    expect(folder.kind).toBe("peft-lora");
    expect([...folder.files.keys()]).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
    const back = readHfAdapterFolder(folder.files);
    expect(back.peft).toMatchObject({
      peft_type: "LORA",
      task_type: "CAUSAL_LM",
      r: 2,
      lora_alpha: 4,
      lora_dropout: lora.dropout,
      target_modules: ["q_proj", "v_proj"],
      base_model_name_or_path: "flock/tiny-llama",
    });
    expect(Object.keys(back.tensors)).toContain(
      "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
    );
    // The engine's own PEFT loader opens the folder written to disk: the same tensors.
    const onDisk = await writeFolder("adapter", folder.files);
    const loaded = await loadLoraAdapter(onDisk, config);
    expect(loaded.lora).toEqual(lora);
    for (const [name, p] of adapter) expect(loaded.adapter.get(name)).toEqual(p);
    // And back to the single file, which the submission decoder accepts.
    const single = artifactFromHfFolder("peft-lora", folder.files);
    const decoded = decodeAdapterArtifact(single, config, "flock/tiny-llama");
    for (const [name, p] of adapter) expect(decoded.adapter.get(name)).toEqual(p);
  });

  it("a decoder becomes config.json (LlamaForCausalLM) + model.safetensors and reads back the same", async () => {
    const folder = hfFolderFromArtifact(encodeBaseModel({ config, params }));
    expect(folder.kind).toBe("llama");
    const onDisk = await writeFolder("llama", folder.files);
    expect((await readdir(onDisk)).sort()).toEqual(["config.json", "model.safetensors"]);
    const saved = JSON.parse(await readFile(join(onDisk, "config.json"), "utf8"));
    expect(saved).toMatchObject({
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      hidden_size: 16,
    });
    const loaded = await loadLlama(onDisk);
    expect(loaded.config).toEqual(config);
    for (const [name, p] of params) expect(loaded.params.get(name)).toEqual(p);
    const again = decodeBaseModel(artifactFromHfFolder("llama", folder.files));
    for (const [name, p] of params) expect(again.params.get(name)).toEqual(p);
  });

  it("a file that is no Flock model travels as it is", () => {
    const bytes = new TextEncoder().encode("not safetensors");
    const folder = hfFolderFromArtifact(bytes);
    expect(folder.kind).toBe("raw");
    expect(artifactFromHfFolder("raw", folder.files)).toEqual(bytes);
    expect(() => readHfAdapterFolder(folder.files)).toThrow(
      expect.objectContaining({ code: "HF_FOLDER_INCOMPLETE" }),
    );
  });

  it("Python reads the folders with names, dtypes and shapes as PEFT and transformers expect", async (test) => {
    const adapterDir = await writeFolder(
      "py-adapter",
      hfFolderFromArtifact(encodeAdapterArtifact({ lora, adapter, baseModel: BASE })).files,
    );
    const llamaDir = await writeFolder(
      "py-llama",
      hfFolderFromArtifact(encodeBaseModel({ config, params })).files,
    );
    const a = pythonView(adapterDir);
    if (a === undefined) {
      test.skip("python3 is not installed: the Python check of the folders is skipped");
      return;
    }
    if (!a.module)
      console.warn("python3 has no safetensors module: headers checked with json and struct only");
    const tensors = a.view["adapter_model.safetensors"] as Record<string, [string, number[]]>;
    const expected: Record<string, [string, number[]]> = {};
    for (const layer of [0, 1]) {
      for (const m of ["q_proj", "v_proj"]) {
        expected[`base_model.model.model.layers.${layer}.self_attn.${m}.lora_A.weight`] = ["F32", [2, 16]];
        expected[`base_model.model.model.layers.${layer}.self_attn.${m}.lora_B.weight`] = ["F32", [16, 2]];
      }
    }
    expect(tensors).toEqual(expected);
    expect(a.view["adapter_config.json"]).toMatchObject({ peft_type: "LORA", r: 2, task_type: "CAUSAL_LM" });
    const l = pythonView(llamaDir)!;
    const weights = l.view["model.safetensors"] as Record<string, [string, number[]]>;
    expect(weights["model.embed_tokens.weight"]).toEqual(["F32", [32, 16]]);
    expect(weights["model.layers.1.mlp.down_proj.weight"]?.[1]).toEqual([16, config.intermediate_size]);
    expect(l.view["config.json"]).toMatchObject({ architectures: ["LlamaForCausalLM"], model_type: "llama" });
  });
});
