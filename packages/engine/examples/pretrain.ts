/**
 * Pretrain the demo base model: a small byte-level Llama trained from scratch on the generated story
 * corpus, in a few minutes on 2 cores. Prints progress and the held-out bits per byte next to the corpus's
 * unigram baseline, then saves the model in Hugging Face layout.
 *
 *   node packages/engine/examples/pretrain.ts [outDir] [steps]
 */
import { generateCorpus, unigramBitsPerByte } from "../src/datasets/corpus.ts";
import { llamaConfig } from "../src/nn/llamaConfig.ts";
import { saveLlama } from "../src/nn/llamaFiles.ts";
import { pretrainLlama } from "../src/pretrain.ts";
import { BYTE_SPECIALS, ByteTokenizer } from "../src/tokenizer/byteTokenizer.ts";

const outDir = process.argv[2] ?? "flock-base-model";
const steps = Number(process.argv[3] ?? 600);
const text = generateCorpus({ seed: 2026, bytes: 1_000_000 });
const config = {
  ...llamaConfig({ hiddenSize: 128, numLayers: 3, numHeads: 4, vocabSize: 261, maxPositions: 64 }),
  bos_token_id: BYTE_SPECIALS.bos,
  eos_token_id: BYTE_SPECIALS.eos,
  pad_token_id: BYTE_SPECIALS.pad,
};
const unigram = unigramBitsPerByte(text);
console.log(`corpus: ${text.length} bytes, unigram baseline ${unigram.toFixed(3)} bits/byte`);
const started = performance.now();
const result = await pretrainLlama({
  config,
  tokenizer: new ByteTokenizer(),
  text,
  seqLen: 64,
  batchSize: 16,
  steps,
  lr: 4e-3,
  seed: 1,
  threads: 2,
  onProgress: (p) => {
    if (p.step % 25 === 0 || p.step === p.totalSteps) {
      const tokPerSec = (p.step * 16 * 64) / (p.elapsedMs / 1000);
      console.log(
        `step ${p.step}/${p.totalSteps}  loss ${(p.loss / Math.LN2).toFixed(3)} bits/byte  lr ${p.lr.toExponential(2)}  ${tokPerSec.toFixed(0)} tok/s`,
      );
    }
  },
});
const minutes = (performance.now() - started) / 60_000;
console.log(
  `held-out: ${result.heldOut.bpc.toFixed(3)} bits/byte (unigram ${unigram.toFixed(3)}, ${((100 * result.heldOut.bpc) / unigram).toFixed(0)}% of it) after ${minutes.toFixed(1)} min`,
);
await saveLlama(outDir, config, result.params);
console.log(`saved config.json + model.safetensors to ${outDir}`);
