import type { AddressInfo } from "node:net";
import type { wire } from "@flock/core";
import {
  createRng,
  encodeBaseModel,
  initLlamaParameters,
  initLoraParameters,
  llamaConfig,
  loraParameterShapes,
} from "@flock/engine";
import { decodeArrays, encodeArrays, flLoraRecipeOf } from "@flock/fl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlHttp, flHttp, vectorModel } from "../testing/flTestParticipant.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";

const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 32 });
const recipe = {
  loraRank: 4,
  loraAlpha: 8,
  targetModules: "q_proj,v_proj",
  localSteps: 4,
  seqLen: 32,
  seed: 9,
};

/**
 * Creating a federated LoRA task (lm-lora) over real HTTP: its base model must be a language model and its
 * trainConfig a LoRA recipe that model runs; each refusal names what is wrong and creates nothing. An accepted
 * task's first global model is the adapter: fresh from the recipe's seed (B = 0, so exactly the base model), or
 * the published one it names.
 */
describe("creating a federated LoRA task", () => {
  let t: TestApp;
  let http: FlHttp;
  let languageModel = "";
  let tabularModel = "";
  const clock = manualClock(new Date(Math.floor(Date.now() / 60_000) * 60_000));

  beforeAll(async () => {
    const chain = createRecordingChainGateway();
    t = await startTestApp({ clock, chain });
    await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    http = flHttp(`http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`, chain, clock);
    languageModel = await t.publish(
      encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) }),
    );
    tabularModel = await t.publish(vectorModel([0, 0, 0, 0]));
  });
  afterAll(() => t?.dispose());

  const body = (overrides: Record<string, unknown> = {}) => ({
    title: "instructions",
    description: "",
    modelType: "lm-lora",
    baseModel: languageModel,
    rounds: 2,
    roundSeconds: 60,
    minParticipants: 4,
    maxParticipants: 4,
    joinDeadline: new Date(clock.now().getTime() + 600_000).toISOString(),
    rewardWeight: "1",
    minStake: "1",
    minLockDays: 0,
    strategy: { name: "fedavg" },
    privacy: { mode: "secagg" },
    payRule: "stake",
    trainConfig: recipe,
    ...overrides,
  });

  async function refused(overrides: Record<string, unknown>) {
    const before = (await t.repos.tasks.list({ limit: 500 })).items.length;
    const response = await http.signed(operatorAccount, "POST", "/fl/tasks", body(overrides));
    expect((await t.repos.tasks.list({ limit: 500 })).items.length).toBe(before);
    const error = response.json() as { code: string; message: string; hint?: string };
    expect(error.hint).toBeTruthy();
    return { status: response.status, code: error.code, message: error.message };
  }

  it("refuses a base model that is not a language model", async () => {
    const refusal = await refused({ baseModel: tabularModel });
    expect(refusal).toMatchObject({ status: 400, code: "TASK_BASE_MODEL_INVALID" });
    expect(refusal.message).toContain("not a language model");
  });

  it("refuses a LoRA recipe the base model cannot run, naming the key", async () => {
    const bad: [Record<string, number | string>, string][] = [
      [{ loraRank: 0 }, "loraRank"],
      [{ loraRank: 17 }, "loraRank"], // above the hidden size
      [{ loraAlpha: -1 }, "loraAlpha"],
      [{ loraDropout: 1 }, "loraDropout"],
      [{ targetModules: "q_proj,attention" }, "targetModules"],
      [{ targetModules: "" }, "targetModules"],
      [{ learningRate: 0 }, "learningRate"],
      [{ localSteps: 1.5 }, "localSteps"],
      [{ batchSize: 0 }, "batchSize"],
      [{ seqLen: 33 }, "seqLen"], // beyond the model's 32 positions
      [{ lora_rank: 8 }, "lora_rank"], // a key no recipe has (a typo would be ignored)
      [{ adapter: "sha256:0000000000000000000000000000000000000000000000000000000000000000" }, "adapter"],
    ];
    for (const [change, key] of bad) {
      const refusal = await refused({ trainConfig: { ...recipe, ...change } });
      expect(refusal, key).toMatchObject({ status: 400, code: "FL_TRAIN_CONFIG_INVALID" });
      expect(refusal.message, key).toContain(key);
    }
  });

  it("starts from a fresh adapter seeded by the recipe: B = 0, the recipe's shapes", async () => {
    const created = await http.signed(operatorAccount, "POST", "/fl/tasks", body());
    expect(created.status).toBe(201);
    const task = created.json() as wire.FlTask;
    expect(task).toMatchObject({ modelType: "lm-lora", baseModel: languageModel, status: "open" });
    expect(task.globalModel).not.toBe(languageModel);
    const served = await http.bytes(`/fl/tasks/${task.id}/arrays/${task.globalModel}`);
    expect(served.status).toBe(200);
    const adapter = decodeArrays(served.bytes).arrays;
    const { lora } = flLoraRecipeOf(recipe, config);
    const expected = initLoraParameters(config, lora, createRng(recipe.seed));
    expect([...adapter.keys()].sort()).toEqual([...loraParameterShapes(config, lora).keys()].sort());
    for (const [name, p] of expected) expect([...adapter.get(name)!.data]).toEqual([...p.data]);
    expect(
      [...adapter].filter(([n]) => n.includes("lora_B")).every(([, p]) => p.data.every((v) => v === 0)),
    ).toBe(true);
  });

  it("starts from a published adapter it names, and refuses one of other shapes", async () => {
    const { lora } = flLoraRecipeOf(recipe, config);
    const given = initLoraParameters(config, lora, createRng(77));
    for (const p of given.values()) p.data.fill(0.25);
    const id = await t.publish(encodeArrays(given));
    const created = await http.signed(
      operatorAccount,
      "POST",
      "/fl/tasks",
      body({ trainConfig: { ...recipe, adapter: id } }),
    );
    expect(created.status).toBe(201);
    const task = created.json() as wire.FlTask;
    const adapter = decodeArrays(
      (await http.bytes(`/fl/tasks/${task.id}/arrays/${task.globalModel}`)).bytes,
    ).arrays;
    for (const [name, p] of given) expect([...adapter.get(name)!.data]).toEqual([...p.data]);

    const refusal = await refused({ trainConfig: { ...recipe, loraRank: 2, adapter: id } });
    expect(refusal).toMatchObject({ status: 400, code: "FL_TRAIN_CONFIG_INVALID" });
    expect(refusal.message).toContain("shape");
  });
});
