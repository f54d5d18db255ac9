import { contentId } from "@flock/core";
import {
  ByteTokenizer,
  createRng,
  encodeAdapterArtifact,
  encodeBaseModel,
  formatShareGpt,
  fromPeftConfig,
  generateInstructionDataset,
  initLlamaParameters,
  initLoraParameters,
  LanguageModelEvaluator,
  llamaConfig,
  llamaParameterShapes,
  loraConfig,
  loraParameterShapes,
  makeBatches,
  parametersFromTensors,
  parseShareGpt,
  readSafetensors,
  renderChat,
} from "@flock/engine";

/** A tiny byte-level decoder config: evaluates in well under a second. */
export const tinyConfig = llamaConfig({
  hiddenSize: 16,
  numLayers: 1,
  numHeads: 2,
  vocabSize: 261,
  maxPositions: 64,
});

/** The tiny decoder as a `flock-llama/1` base model file. */
export function tinyBaseModelFile(seed = 1): Uint8Array {
  return encodeBaseModel({ config: tinyConfig, params: initLlamaParameters(tinyConfig, createRng(seed)) });
}

/**
 * A LoRA adapter for the tiny decoder as a `flock-lora-adapter/1` submission. B is drawn too (PEFT init has
 * B = 0, which would score the base model itself), so different seeds score differently.
 */
export function tinyAdapterFile(baseModelId: string, seed: number): Uint8Array {
  const lora = loraConfig({ r: 2, targetModules: ["q_proj", "v_proj"] });
  const rng = createRng(seed);
  const adapter = initLoraParameters(tinyConfig, lora, rng);
  for (const [name, p] of adapter) {
    if (name.includes("lora_B")) for (let i = 0; i < p.data.length; i++) p.data[i] = (rng.next() - 0.5) * 0.5;
  }
  return encodeAdapterArtifact({ lora, adapter, baseModel: baseModelId });
}

/** A small hidden set: synthetic instruction conversations as ShareGPT JSONL bytes. */
export function tinyHiddenSet(seed = 2, count = 10): Uint8Array {
  return new TextEncoder().encode(
    formatShareGpt(generateInstructionDataset({ seed, count }).map((e) => e.conversation)),
  );
}

/** The three files of a refereed task and their content ids. */
export function tinyRefereeFiles() {
  const baseModel = tinyBaseModelFile();
  const baseModelId = contentId(baseModel);
  const hiddenSet = tinyHiddenSet();
  return { baseModel, baseModelId, hiddenSet, hiddenSetId: contentId(hiddenSet) };
}

/**
 * BPC as a validator computes it, written out with the engine's public API: the validator daemon's loop
 * (batches of 8, rows of min(context, positions) tokens, unpacked, per-batch token NLL summed in order).
 */
export async function validatorBpc(
  files: { baseModel: Uint8Array; hiddenSet: Uint8Array },
  artifact: Uint8Array,
  options: { contextLength: number; threads: number },
): Promise<number> {
  const base = readSafetensors(files.baseModel);
  const params = parametersFromTensors(base.tensors, llamaParameterShapes(tinyConfig));
  const file = readSafetensors(artifact);
  const lora = fromPeftConfig(JSON.parse(file.metadata.adapter_config!));
  const adapter = parametersFromTensors(file.tensors, loraParameterShapes(tinyConfig, lora));
  const tokenizer = new ByteTokenizer();
  const seqLen = Math.min(options.contextLength, tinyConfig.max_position_embeddings);
  const examples = parseShareGpt(new TextDecoder().decode(files.hiddenSet)).map((c) =>
    renderChat(c, tokenizer, { maxTokens: seqLen + 1 }),
  );
  const batches = makeBatches(examples, { batchSize: 8, seqLen, padId: tokenizer.specials.pad, pack: false });
  const evaluator = new LanguageModelEvaluator(tinyConfig, params, {
    threads: options.threads,
    lora: { config: lora, adapter },
  });
  try {
    let nllSum = 0;
    let bytes = 0;
    for (const batch of batches) {
      const nll = await evaluator.tokenNll(batch);
      for (let i = 0; i < nll.length; i++) {
        const w = batch.weights[i]!;
        if (w === 0) continue;
        nllSum += w * nll[i]!;
        bytes += batch.targetBytes[i]!;
      }
    }
    return nllSum / (Math.LN2 * Math.max(bytes, 1));
  } finally {
    await evaluator.release();
  }
}
