import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ByteTokenizer,
  encodeBaseModel,
  evaluateLanguageModel,
  formatShareGpt,
  generateCorpus,
  generateInstructionDataset,
  llamaConfig,
  makeBatches,
  type ParameterSet,
  pretrainLlama,
  renderChat,
} from "@flock/engine";
import { type Arrays, decodeArrays, flLoraRecipeOf, type NodeApp } from "@flock/fl";
import { createFlockClient } from "@flock/sdk";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CoordinatorProcess, startCoordinatorProcess } from "../testing/coordinatorProcess.ts";
import { type FlProgress, runFlParticipant } from "./flParticipant.ts";
import { FlParticipantStateFile } from "./flParticipantState.ts";
import { type LoraFlApp, loraFlApp } from "./loraFlApp.ts";

const WAD = 10n ** 18n;
/** Dev account 0 of the public development mnemonic: an operator on the test coordinator's chain. */
const OPERATOR = mnemonicToAccount("test test test test test test test test test test test junk");
const PARTIES = 4;
const SEQ = 64;
const config = llamaConfig({ hiddenSize: 32, numLayers: 2, numHeads: 4, vocabSize: 261, maxPositions: SEQ });
/** The task's LoRA recipe, as its creator posts it. */
const trainConfig = {
  loraRank: 8,
  loraAlpha: 16,
  targetModules: "q_proj,v_proj,up_proj,down_proj",
  learningRate: 0.01,
  localSteps: 8,
  batchSize: 8,
  seqLen: SEQ,
  seed: 3,
};
const jsonl = (seed: number, count: number) =>
  formatShareGpt(generateInstructionDataset({ seed, count }).map((e) => e.conversation));

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out;
}

/**
 * A federated LoRA task over real HTTP (issue 12, item 7): four organizations hold private shards of
 * instruction conversations, a language model (pretrained here, as the Arena's winner would be) is their
 * shared base, and they fine-tune one LoRA adapter under secure aggregation — proposers train the adapter
 * from the global one, voters compare candidate and global adapter by bits per byte on their own test
 * conversations. The accepted adapter lowers held-out bits per byte against the base model, and nothing the
 * coordinator stored holds a proposer's own adapter.
 */
describe("a federated LoRA task under SecAgg+ with four participants", () => {
  let coordinator: CoordinatorProcess;
  let dataDir = "";
  let stateDir = "";
  let base: ParameterSet;
  const apps: LoraFlApp[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "flock-fl-lora-coordinator-"));
    stateDir = await mkdtemp(join(tmpdir(), "flock-fl-lora-"));
    coordinator = await startCoordinatorProcess({ flPollMs: 100, dataDir });
    base = (
      await pretrainLlama({
        config,
        tokenizer: new ByteTokenizer(),
        text: generateCorpus({ seed: 1, bytes: 60_000 }),
        seqLen: SEQ,
        batchSize: 8,
        steps: 40,
        lr: 1e-2,
      })
    ).params;
  });
  afterAll(async () => {
    for (const app of apps) await app.release();
    await coordinator?.stop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  });

  it("finishes its rounds, the global adapter beats the base model on held-out conversations, no update is stored", async () => {
    const creator = createFlockClient({ baseUrl: coordinator.url, account: OPERATOR });
    const baseId = (await creator.artifacts.publish(encodeBaseModel({ config, params: base }))).id;
    const task = await creator.fl.create({
      title: "instruction following across four organizations",
      description: "",
      modelType: "lm-lora",
      baseModel: baseId,
      rounds: 2,
      roundSeconds: 60,
      minParticipants: PARTIES,
      maxParticipants: PARTIES,
      joinDeadline: new Date(Date.now() + 4000),
      rewardWeight: 1n,
      minStake: 100n * WAD,
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy: { mode: "secagg" },
      payRule: "stake",
      trainConfig,
    });
    expect(task.status).toBe("open");
    // The first global model is the seeded fresh adapter, not the base model.
    expect(task.globalModel).not.toBe(baseId);
    const initialId = task.globalModel;

    // Each proposer's own update (before masking), and the adapter it trained from.
    const trained: { from: Arrays; to: Arrays }[] = [];
    const events: FlProgress[] = [];
    const runs = Array.from({ length: PARTIES }, async (_, i) => {
      const account = privateKeyToAccount(generatePrivateKey());
      const address = account.address.toLowerCase();
      await coordinator.indexStake(task.id, address, 1000n * WAD);
      const app = loraFlApp({
        base: { config, params: base },
        trainJsonl: jsonl(100 + i, 48),
        testJsonl: jsonl(200 + i, 16),
        trainConfig: task.trainConfig,
        seed: i,
      });
      apps.push(app);
      const recording: NodeApp = {
        async train(message) {
          const update = await app.train(message);
          trained.push({ from: message.arrays!, to: update.arrays });
          return update;
        },
        evaluate: (message) => app.evaluate(message),
      };
      return runFlParticipant({
        client: createFlockClient({ baseUrl: coordinator.url, account }),
        account: address,
        taskId: task.id,
        app: recording,
        state: new FlParticipantStateFile(join(stateDir, `${address}.json`), task.id, address),
        onProgress: (p) => events.push(p),
        waitMs: 2000,
      });
    });
    const results = await Promise.all(runs);
    for (const r of results) expect(["finished", "closed"]).toContain(r.taskStatus);
    expect(events.filter((e) => e.type === "failed")).toEqual([]);

    const reader = createFlockClient({ baseUrl: coordinator.url });
    const done = await reader.fl.get(task.id);
    expect(done).toMatchObject({ acceptedRounds: 2, participants: PARTIES });
    const rounds = (await reader.fl.rounds(task.id)).filter((r) => r.status === "accepted");
    expect(rounds).toHaveLength(2);
    for (const round of rounds) {
      expect(round.proposers).toHaveLength(2);
      expect(round.contributors.sort()).toEqual(round.proposers.map((p) => p.account).sort());
      // Each voter measured the candidate adapter at no more bits per byte than the global one on its own data.
      for (const voter of round.voters) {
        expect(voter.vote).toBe(1);
        expect(voter.metrics!.candidateLoss).toBeLessThanOrEqual(voter.metrics!.globalLoss!);
      }
    }
    expect(trained).toHaveLength(4);

    // Held-out conversations nobody trained on: the federated adapter against the base model (a fresh adapter
    // has B = 0, so the initial global model is the base model exactly).
    const tokenizer = new ByteTokenizer();
    const heldOut = makeBatches(
      generateInstructionDataset({ seed: 999, count: 32 }).map((e) =>
        renderChat(e.conversation, tokenizer, { maxTokens: SEQ + 1 }),
      ),
      { batchSize: 8, seqLen: SEQ, padId: tokenizer.specials.pad, pack: false },
    );
    const { lora } = flLoraRecipeOf(trainConfig, config);
    const bpcOf = async (id: string) =>
      (
        await evaluateLanguageModel(config, base, heldOut, {
          lora: {
            config: lora,
            adapter: decodeArrays(await reader.fl.arrays(task.id, id)).arrays as ParameterSet,
          },
        })
      ).bpc;
    const baseBpc = (await evaluateLanguageModel(config, base, heldOut)).bpc;
    const initialBpc = await bpcOf(initialId);
    const finalBpc = await bpcOf(done.globalModel);
    console.log(
      `federated LoRA over HTTP, held-out bits per byte: base ${baseBpc.toFixed(4)}, initial adapter ${initialBpc.toFixed(4)}, after 2 rounds ${finalBpc.toFixed(4)}`,
    );
    expect(initialBpc).toBeCloseTo(baseBpc, 5);
    expect(finalBpc).toBeLessThan(baseBpc - 0.05);

    // The coordinator's whole folder (database and artifacts), read after it stopped: no proposer's adapter
    // array, where it differs from the global adapter it trained from, appears in any file.
    await coordinator.stop();
    const files = await filesUnder(dataDir);
    expect(files.length).toBeGreaterThan(0);
    const secrets: Buffer[] = [];
    for (const { from, to } of trained) {
      for (const [name, p] of to) {
        const before = from.get(name)!.data;
        if (p.data.some((v, k) => v !== before[k]))
          secrets.push(Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength));
      }
    }
    expect(secrets.length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = await readFile(file);
      for (const secret of secrets) expect(bytes.includes(secret)).toBe(false);
    }
  }, 90_000);
});
