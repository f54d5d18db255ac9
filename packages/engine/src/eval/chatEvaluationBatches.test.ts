import { describe, expect, it } from "vitest";
import { createRng } from "../data/random.ts";
import { formatShareGpt } from "../data/sharegpt.ts";
import { initLlamaParameters } from "../nn/llama.ts";
import { llamaConfig } from "../nn/llamaConfig.ts";
import { chatEvaluationBatches, scoredBytes } from "./chatEvaluationBatches.ts";
import { LanguageModelEvaluator } from "./evaluateLanguageModel.ts";

const userOnly = formatShareGpt([
  { conversations: [{ role: "user", content: "What is 2 + 2?" }] },
  { conversations: [{ role: "user", content: "Sort 3, 1, 2." }] },
]);

describe("a hidden set with nothing to score is an error, never a score", () => {
  it("user turns only: refused with VALIDATION_SET_NOTHING_SCORED", () => {
    expect(() => chatEvaluationBatches(userOnly, 64, 64)).toThrow(
      expect.objectContaining({ code: "VALIDATION_SET_NOTHING_SCORED" }),
    );
  });

  it("replies that start beyond the context are cut away: refused the same way", () => {
    const long = formatShareGpt([
      {
        conversations: [
          { role: "user", content: "x".repeat(200) },
          { role: "assistant", content: "four" },
        ],
      },
    ]);
    expect(() => chatEvaluationBatches(long, 64, 64)).toThrow(
      expect.objectContaining({ code: "VALIDATION_SET_NOTHING_SCORED" }),
    );
    // With room for the reply the same set is scored on its bytes (4 bytes of "four" plus the end of turn).
    const batches = chatEvaluationBatches(long, 256, 256);
    expect(scoredBytes(batches)).toBeGreaterThanOrEqual(4);
  });

  it("the evaluator refuses batches with no scored byte instead of reporting BPC 0", async () => {
    const config = llamaConfig({
      hiddenSize: 16,
      numLayers: 1,
      numHeads: 2,
      vocabSize: 261,
      maxPositions: 16,
    });
    const params = initLlamaParameters(config, createRng(3));
    const [batch] = chatEvaluationBatches(
      formatShareGpt([
        {
          conversations: [
            { role: "user", content: "hi" },
            { role: "assistant", content: "yo" },
          ],
        },
      ]),
      64,
      64,
    );
    const empty = { ...batch!, weights: new Float32Array(batch!.weights.length) };
    const evaluator = new LanguageModelEvaluator(config, params);
    try {
      await expect(evaluator.evaluate([empty])).rejects.toMatchObject({ code: "EVALUATION_NOTHING_SCORED" });
      const metrics = await evaluator.evaluate([batch!]);
      expect(metrics.bytes).toBeGreaterThan(0);
      expect(metrics.bpc).toBeGreaterThan(0);
    } finally {
      await evaluator.release();
    }
  });
});
