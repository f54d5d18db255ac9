import { CompletionEngine, parseChatCompletionRequest, staticModelCatalog } from "@flock/serving";
import { serveOpenAi, type TestHttpServer, tinyAdapterModels, tinyChatModel } from "@flock/serving/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../testing/testApp.ts";
import { servingEngine } from "./servingEngine.ts";

/**
 * The coordinator's own serving engine over its model registry (PGlite, artifact store): two LoRA Arena
 * winners of one base hot-loaded over that base (one adapter kept: `serving.maxAdapters` = 1) and a model
 * routed by `serving.upstreams` to another serving instance on 127.0.0.1.
 */
const trainer = "0x00000000000000000000000000000000000000a1";
let t: TestApp;
let engine: CompletionEngine;
let upstreamEngine: CompletionEngine;
let upstream: TestHttpServer;
const fixtures = tinyAdapterModels(2);

beforeAll(async () => {
  t = await startTestApp();
  const baseId = await t.publish(fixtures.baseBytes);
  expect(baseId).toBe(fixtures.baseModelId);
  const task = await t.repos.tasks.create({
    title: "tiny lora",
    description: "d",
    type: "lm-lora",
    baseModel: baseId,
    contextLength: 64,
    maxTrainableParams: 100_000,
    trainingSetId: await t.publish("training set"),
    validationCommitment: `sha256:${"1".padStart(64, "0")}`,
    submissionDeadline: new Date(Date.now() + 3_600_000),
    endTime: new Date(Date.now() + 7_200_000),
    rewardWeight: 1n,
    minStake: 1000n,
    minLockDays: 0,
    status: "draft",
    creator: trainer,
  });
  for (const [i, bytes] of fixtures.adapterBytes.entries()) {
    await t.repos.models.register({
      name: `flock/tiny-lora-${i}`,
      kind: "arena-lora",
      taskId: task.id,
      baseModel: baseId,
      artifact: await t.publish(bytes),
      license: "apache-2.0",
      metrics: {},
      lineage: {
        task: { id: task.id, title: task.title, type: "lm-lora", kind: "arena" },
        baseModel: baseId,
        trainers: [trainer],
        validators: [],
        datasets: [],
      },
    });
  }
  upstreamEngine = new CompletionEngine(staticModelCatalog([tinyChatModel()]), { batchRows: 2 });
  upstream = await serveOpenAi(upstreamEngine);
  engine = servingEngine(t, {
    maxAdapters: 1,
    upstreams: { "remote/tiny-chat": [{ baseUrl: `${upstream.url}/v1`, model: "flock/tiny-chat" }] },
  });
});
afterAll(async () => {
  await engine?.close();
  await upstream?.close();
  await upstreamEngine?.close();
  await t?.dispose();
});

const ask = (model: string) =>
  parseChatCompletionRequest({ model, messages: [{ role: "user", content: "Hi" }], max_tokens: 16, seed: 3 });

describe("the coordinator's serving engine over its registry", () => {
  it("lists the registry's adapters and the routed model", async () => {
    expect((await engine.listModels()).map((m) => m.id).sort()).toEqual([
      "flock/tiny-lora-0",
      "flock/tiny-lora-1",
      "remote/tiny-chat",
    ]);
  });

  it("hot-loads registry adapters over one shared base, evicting beyond serving.maxAdapters", async () => {
    const first = await (await engine.prepare(ask("flock/tiny-lora-0"))).run({});
    await (await engine.prepare(ask("flock/tiny-lora-1"))).run({});
    expect(engine.stats().adapters).toMatchObject({
      resident: [expect.stringMatching(/^flock\/tiny-lora-1@sha256:/)],
      evictions: 1,
      loads: 2,
    });
    const again = await (await engine.prepare(ask("flock/tiny-lora-0"))).run({});
    expect(again).toEqual(first);
    // As the same adapter merged into its base answers.
    const merged = new CompletionEngine(staticModelCatalog(fixtures.adapters));
    expect(await (await merged.prepare(ask(fixtures.adapters[0]!.id))).run({})).toEqual(first);
    await merged.close();
  });

  it("routes a configured model to its upstream, with the upstream's usage", async () => {
    const result = await (await engine.prepare(ask("remote/tiny-chat"))).run({});
    const direct = await (await upstreamEngine.prepare(ask("flock/tiny-chat"))).run({});
    expect(result).toMatchObject({
      text: direct.text,
      promptTokens: direct.promptTokens,
      completionTokens: direct.completionTokens,
      upstream: { model: "flock/tiny-chat", usage: "upstream" },
    });
  });
});
