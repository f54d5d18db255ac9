import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { generateCorpus } from "../datasets/corpus.ts";
import { evaluateLanguageModel } from "../eval/evaluateLanguageModel.ts";
import { readSafetensors } from "../io/safetensors.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { loadLlama, saveLlama } from "../nn/llamaFiles.ts";
import { adamw } from "../optim/adamw.ts";
import { pretrainLlama } from "../pretrain.ts";
import { instructionBatches } from "../testing/instructionBatches.ts";
import { ByteTokenizer } from "../tokenizer/byteTokenizer.ts";
import { languageModelTask } from "../train/languageModelTask.ts";
import { runTraining } from "../train/runTraining.ts";
import { Trainer } from "../train/trainer.ts";
import { loadLoraAdapter, saveLoraAdapter } from "./adapterFiles.ts";
import { initLoraParameters, mergeLora } from "./loraAdapter.ts";
import { loraConfig } from "./loraConfig.ts";

const dir = mkdtempSync(join(tmpdir(), "flock-lora-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = llamaConfig({ hiddenSize: 48, numLayers: 2, numHeads: 4, vocabSize: 261, maxPositions: 96 });
const data = instructionBatches({ seed: 5, train: 320, heldOut: 48, batchSize: 8, seqLen: 96 });
const lora = loraConfig({
  r: 8,
  alpha: 16,
  dropout: 0.05,
  targetModules: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
});

describe("LoRA", () => {
  let adapter = initLoraParameters(config, lora, createRng(2));
  let base = initLlamaParameters(config, createRng(1));

  beforeAll(async () => {
    // A base that has seen some English text (a few seconds of pretraining on the generated corpus).
    const text = generateCorpus({ seed: 1, bytes: 60_000 });
    base = (
      await pretrainLlama({
        config,
        tokenizer: new ByteTokenizer(),
        text,
        seqLen: 96,
        batchSize: 8,
        steps: 50,
        lr: 1e-2,
      })
    ).params;
  });

  it("a fresh adapter leaves the base model unchanged (B = 0)", async () => {
    expect(base.size).toBeGreaterThan(0);
    const plain = await evaluateLanguageModel(config, base, data.heldOut.slice(0, 2));
    const adapted = await evaluateLanguageModel(config, base, data.heldOut.slice(0, 2), {
      lora: { config: lora, adapter },
      mergeAdapter: false,
    });
    expect(adapted.bpc).toBe(plain.bpc);
  });

  it("fine-tuning an adapter lowers held-out BPC on the synthetic instruction data versus the base", async () => {
    const task = languageModelTask(config, base, {
      batchSize: 8,
      seqLen: 96,
      lora: { config: lora, adapter, seed: 3 },
    });
    const trainer = await Trainer.create(task, {
      optimizer: adamw(),
      schedule: { peak: 1e-2, warmupSteps: 5, totalSteps: 60 },
      clipNorm: 1,
    });
    await runTraining({ trainer, items: data.train, totalSteps: 60, seed: 4 });
    adapter = trainer.parameters();
    await trainer.release();
    const before = await evaluateLanguageModel(config, base, data.heldOut);
    const after = await evaluateLanguageModel(config, base, data.heldOut, {
      lora: { config: lora, adapter },
    });
    expect(after.bpc).toBeLessThan(before.bpc - 0.3);
  });

  it("an adapter saved in PEFT layout loads back, and merging it into the base gives the same BPC", async () => {
    await saveLoraAdapter(join(dir, "adapter"), lora, adapter, "flock/tiny");
    expect(readdirSync(join(dir, "adapter")).sort()).toEqual([
      "adapter_config.json",
      "adapter_model.safetensors",
    ]);
    const peft = JSON.parse(readFileSync(join(dir, "adapter", "adapter_config.json"), "utf8"));
    expect(peft).toMatchObject({
      peft_type: "LORA",
      r: 8,
      lora_alpha: 16,
      lora_dropout: 0.05,
      task_type: "CAUSAL_LM",
    });
    const names = Object.keys(
      readSafetensors(readFileSync(join(dir, "adapter", "adapter_model.safetensors"))).tensors,
    );
    expect(names).toContain("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
    expect(names).toContain("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");

    const loaded = await loadLoraAdapter(join(dir, "adapter"), config);
    const withAdapter = await evaluateLanguageModel(config, base, data.heldOut, {
      lora: { config: loaded.lora, adapter: loaded.adapter },
      mergeAdapter: false,
    });
    const merged = await evaluateLanguageModel(
      config,
      mergeLora(config, base, loaded.lora, loaded.adapter),
      data.heldOut,
    );
    expect(Math.abs(merged.bpc - withAdapter.bpc)).toBeLessThan(1e-4);
  });

  it("a decoder saved with Hugging Face names and config keys loads back identically", async () => {
    await saveLlama(join(dir, "model"), config, base);
    const json = JSON.parse(readFileSync(join(dir, "model", "config.json"), "utf8"));
    expect(json).toMatchObject({
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      hidden_size: 48,
      num_key_value_heads: 4,
      torch_dtype: "float32",
    });
    const loaded = await loadLlama(join(dir, "model"));
    expect(loaded.params.get("model.layers.1.mlp.up_proj.weight")!.data).toEqual(
      base.get("model.layers.1.mlp.up_proj.weight")!.data,
    );
    expect(loaded.config).toEqual(config);
  });
});
