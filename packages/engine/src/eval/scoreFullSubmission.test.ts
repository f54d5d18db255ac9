import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { formatShareGpt } from "../data/sharegpt.ts";
import { generateInstructionDataset } from "../datasets/instructions.ts";
import { encodeBaseModel } from "../nn/baseModelFile.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { CHAT_EVALUATION_BATCH_SIZE, chatEvaluationBatches } from "./chatEvaluationBatches.ts";
import { LanguageModelEvaluator } from "./evaluateLanguageModel.ts";
import { fullSubmissionByteLimit, scoreFullSubmission } from "./scoreFullSubmission.ts";

const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 64 });
const base = encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) });
const hidden = formatShareGpt(generateInstructionDataset({ seed: 2, count: 6 }).map((e) => e.conversation));

function score(artifact: Uint8Array, maxArtifactBytes = 1 << 22) {
  return scoreFullSubmission({
    baseModel: base,
    artifact,
    validationData: hidden,
    contextLength: 48,
    maxArtifactBytes,
  });
}

describe("scoreFullSubmission", () => {
  it("scores a full fine-tune by BPC on the hidden set, as the language model evaluator does", async () => {
    const params = initLlamaParameters(config, createRng(5));
    const result = await score(encodeBaseModel({ config, params }));
    const evaluator = new LanguageModelEvaluator(config, params);
    const direct = await evaluator.evaluate(
      chatEvaluationBatches(hidden, 48, 64, CHAT_EVALUATION_BATCH_SIZE),
    );
    await evaluator.release();
    expect(result).toEqual({ kind: "scored", bpc: direct.bpc, tokens: direct.tokens, bytes: direct.bytes });
    expect(fullSubmissionByteLimit(base)).toBeGreaterThan(base.length);
    expect(fullSubmissionByteLimit(base)).toBeLessThan(base.length * 2);
  });

  it("scores +∞ with the reason: oversize, not a model, another config, NaN weights", async () => {
    expect(await score(base, base.length - 1)).toMatchObject({
      kind: "unscorable",
      code: "ARTIFACT_TOO_LARGE",
    });
    expect(await score(new TextEncoder().encode("weights"))).toMatchObject({ code: "ARTIFACT_MALFORMED" });
    const other = llamaConfig({
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 4,
      vocabSize: 261,
      maxPositions: 64,
    });
    expect(
      await score(encodeBaseModel({ config: other, params: initLlamaParameters(other, createRng(1)) })),
    ).toMatchObject({ code: "ARTIFACT_WRONG_BASE", bpc: Number.POSITIVE_INFINITY });
    const nan = initLlamaParameters(config, createRng(1));
    nan.values().next().value!.data[0] = Number.NaN;
    expect(await score(encodeBaseModel({ config, params: nan }))).toMatchObject({
      code: "ARTIFACT_NOT_FINITE",
    });
  });
});
