import {
  createRng,
  formatShareGpt,
  generateInstructionDataset,
  initLlamaParameters,
  initLoraParameters,
  llamaConfig,
} from "@flock/engine";
import { flLoraRecipeOf, type Message } from "@flock/fl";
import { afterAll, describe, expect, it } from "vitest";
import { type LoraFlApp, loraFlApp } from "./loraFlApp.ts";

const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 64 });
const base = { config, params: initLlamaParameters(config, createRng(1)) };
const trainConfig = {
  loraRank: 4,
  targetModules: "q_proj,v_proj",
  localSteps: 6,
  batchSize: 4,
  learningRate: 0.05,
};
const { lora } = flLoraRecipeOf(trainConfig, config);
const jsonl = (seed: number, count: number) =>
  formatShareGpt(generateInstructionDataset({ seed, count }).map((e) => e.conversation));
const apps: LoraFlApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.release();
});

function app(overrides: Partial<Parameters<typeof loraFlApp>[0]> = {}): LoraFlApp {
  const made = loraFlApp({
    base,
    trainJsonl: jsonl(1, 24),
    testJsonl: jsonl(2, 8),
    trainConfig,
    ...overrides,
  });
  apps.push(made);
  return made;
}

const message = (kind: Message["kind"], arrays: Message["arrays"], round = 1): Message => ({
  nodeId: "n",
  kind,
  round,
  config: kind === "train" ? trainConfig : {},
  ...(arrays === undefined ? {} : { arrays }),
});

describe("the LoRA node app over local ShareGPT files", () => {
  it("trains only the adapter from the global one: its own test loss falls, the same round gives the same update", async () => {
    const a = app();
    expect([a.trainConversations, a.testConversations]).toEqual([24, 8]);
    const global = initLoraParameters(config, lora, createRng(3));
    const before = await a.evaluate(message("evaluate", global));
    const update = await a.train(message("train", global));
    expect(update.metrics.steps).toBe(6);
    // The update keeps the order of the arrays it was sent.
    expect([...update.arrays.keys()]).toEqual([...global.keys()]);
    const after = await a.evaluate(message("evaluate", update.arrays));
    expect(after.metrics.loss).toBeLessThan(before.metrics.loss!);
    expect(after.metrics.bpc).toBe(after.metrics.loss);
    const again = await a.train(message("train", global));
    for (const [name, p] of update.arrays) expect([...again.arrays.get(name)!.data]).toEqual([...p.data]);
  });

  it("refuses unreadable or empty files, a recipe the base model cannot run, and an adapter of other shapes", async () => {
    expect(() => app({ trainJsonl: "{not json}\n" })).toThrow(/the training file: .*invalid ShareGPT/);
    expect(() => app({ testJsonl: "\n" })).toThrowError(expect.objectContaining({ code: "FL_DATA_EMPTY" }));
    expect(() => app({ trainConfig: { ...trainConfig, seqLen: 65 } })).toThrowError(
      expect.objectContaining({ code: "FL_TRAIN_CONFIG_INVALID" }),
    );
    // Rows of 8 tokens hold the template's header and prompt only: nothing to train or vote on.
    expect(() => app({ trainConfig: { ...trainConfig, seqLen: 8 } })).toThrow("no assistant reply within");
    const other = initLoraParameters(config, { ...lora, r: 2 }, createRng(3));
    await expect(app().train(message("train", other))).rejects.toMatchObject({ code: "FL_ARRAYS_MISMATCH" });
    await expect(app().evaluate(message("evaluate", undefined))).rejects.toMatchObject({
      code: "FL_ARRAYS_MISSING",
    });
  });
});
