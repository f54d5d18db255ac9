import {
  adamw,
  type Batch,
  ByteTokenizer,
  createRng,
  evaluateLanguageModel,
  generateCorpus,
  generateInstructionDataset,
  initLoraParameters,
  languageModelTask,
  llamaConfig,
  loraConfig,
  makeBatches,
  type ParameterSet,
  pretrainLlama,
  renderChat,
  Trainer,
} from "@flock/engine";
import { afterAll, describe, expect, it } from "vitest";
import type { Arrays } from "../arrays.ts";
import { InMemoryGrid } from "../inMemoryGrid.ts";
import type { Message } from "../messages.ts";
import { runFederation } from "../runFederation.ts";
import { FedAvg } from "../strategies/fedAvg.ts";

/**
 * Federated LoRA on the language model (issue: FL library, results): four organizations hold private shards
 * of the synthetic instruction data, train only a LoRA adapter on a frozen pretrained base, and FedAvg the
 * adapters; the federated adapter lowers bits per byte on a hidden held-out set against the base model.
 */
const config = llamaConfig({ hiddenSize: 48, numLayers: 2, numHeads: 4, vocabSize: 261, maxPositions: 96 });
const lora = loraConfig({
  r: 8,
  alpha: 16,
  dropout: 0,
  targetModules: ["q_proj", "v_proj", "up_proj", "down_proj"],
});
const tokenizer = new ByteTokenizer();
const SEQ = 96;
const BATCH = 8;

function batches(seed: number, count: number, pack: boolean): Batch[] {
  const rendered = generateInstructionDataset({ seed, count }).map((e) =>
    renderChat(e.conversation, tokenizer, { maxTokens: SEQ + 1 }),
  );
  return makeBatches(rendered, {
    batchSize: BATCH,
    seqLen: SEQ,
    padId: tokenizer.specials.pad,
    dropLast: true,
    pack,
  });
}

const trainers: Trainer<Batch>[] = [];
afterAll(async () => {
  for (const t of trainers) await t.release();
});

describe("federated LoRA on the synthetic instruction task", () => {
  it("four private shards, FedAvg of the adapters: hidden-set BPC falls below the base model's", async () => {
    const base: ParameterSet = (
      await pretrainLlama({
        config,
        tokenizer,
        text: generateCorpus({ seed: 1, bytes: 60_000 }),
        seqLen: SEQ,
        batchSize: BATCH,
        steps: 40,
        lr: 1e-2,
      })
    ).params;
    const shards = [0, 1, 2, 3].map((i) => batches(100 + i, 80, true));
    const hidden = batches(999, 48, false);
    const initial = initLoraParameters(config, lora, createRng(2));
    const trainer = await Trainer.create(
      languageModelTask(config, base, {
        batchSize: BATCH,
        seqLen: SEQ,
        lora: { config: lora, adapter: initial },
      }),
      { optimizer: adamw(), schedule: { peak: 1e-2 }, clipNorm: 1 },
    );
    trainers.push(trainer);
    const localSteps = 8;
    // Nodes train one after another on the one compiled trainer (reset to the global adapter each time).
    let queue = Promise.resolve();
    const app = {
      train: (message: Message) => {
        const run = queue.then(async () => {
          const shard = shards[Number(message.nodeId)]!;
          trainer.reset(message.arrays!);
          let loss = 0;
          for (let s = 0; s < localSteps; s++) {
            loss = (await trainer.trainStep([shard[(message.round * localSteps + s) % shard.length]!])).loss;
          }
          return { arrays: trainer.parameters(), numExamples: shard.length * BATCH, metrics: { loss } };
        });
        queue = run.then(() => undefined);
        return run;
      },
      evaluate: async () => {
        throw new Error("no node-side evaluation in this test");
      },
    };
    const grid = new InMemoryGrid({ nodes: 4, app });
    const bpcOf = async (adapter: Arrays) =>
      (
        await evaluateLanguageModel(config, base, hidden, {
          lora: { config: lora, adapter: adapter as ParameterSet },
        })
      ).bpc;
    const baseBpc = (await evaluateLanguageModel(config, base, hidden)).bpc;
    const result = await runFederation({
      strategy: new FedAvg({ minTrainNodes: 4, minAvailableNodes: 4, fractionEvaluate: 0 }),
      grid,
      initialArrays: initial,
      rounds: 3,
      evaluate: async (_round, arrays) => ({ bpc: await bpcOf(arrays) }),
    });
    const perRound = result.rounds.map((r) => r.centralMetrics!.bpc!);
    console.log(
      `federated LoRA, hidden-set BPC: base ${baseBpc.toFixed(4)}, rounds ${perRound.map((b) => b.toFixed(4)).join(" → ")}`,
    );
    // A fresh adapter (B = 0) is the base model; three federated rounds improve on it.
    expect(result.initialMetrics!.bpc).toBeCloseTo(baseBpc, 6);
    expect(result.rounds.every((r) => r.replied === 4 && r.failed === 0)).toBe(true);
    expect(perRound[2]!).toBeLessThan(baseBpc - 0.1);
    expect(perRound[2]!).toBeLessThan(perRound[0]!);
  });
});
