import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONTRACT_NAMES } from "@flock/chain";
import { contentId, createLogger, parseFlock } from "@flock/core";
import {
  createRng,
  encodeAdapterArtifact,
  encodeBaseModel,
  initLlamaParameters,
  initLoraParameters,
  llamaConfig,
  loadLoraAdapter,
  loraConfig,
} from "@flock/engine";
import { createApp, createChainGateway, type FlockApp } from "@flock/server";
import { createRepositories, type FlockDatabase, openArtifactStore, openDatabase } from "@flock/store";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureHome, type FlockHome } from "../home.ts";
import { bufferIo } from "../io.ts";
import { main } from "../main.ts";
import { writeNetworkInfo } from "../network/networkFile.ts";

const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 32, maxPositions: 16 });
const lora = loraConfig({ r: 2, alpha: 4 });
const adapter = initLoraParameters(config, lora, createRng(3));
for (const [name, p] of adapter) if (name.includes("lora_B")) p.data.fill(0.5);

/**
 * `flock models list|show|card|download` against a coordinator over real HTTP and PGlite (the registry needs no
 * chain: the gateway is never called). The model is registered as the settlement hook registers a winner.
 */
describe("flock models", () => {
  const root = mkdtempSync(join(tmpdir(), "flock-models-"));
  let database: FlockDatabase;
  let app: FlockApp;
  let home: FlockHome;
  const base = contentId("base model");
  const bytes = encodeAdapterArtifact({ lora, adapter, baseModel: base });

  beforeAll(async () => {
    database = await openDatabase({ dataDir: join(root, "coordinator") });
    const repos = createRepositories(database.db);
    const artifacts = openArtifactStore(undefined, { defaultFolder: join(root, "coordinator", "artifacts") });
    app = await createApp({
      db: database.db,
      repos,
      artifacts,
      chain: createChainGateway({
        rpcUrl: "http://127.0.0.1:9",
        chainId: 31337,
        addresses: Object.fromEntries(CONTRACT_NAMES.map((n) => [n, `0x${"00".repeat(19)}01`])) as never,
        coordinatorKey: `0x${"11".repeat(32)}`,
        startBlock: 0n,
      }),
      logger: createLogger("flock-models-test", { level: "silent" }),
    });
    const apiUrl = await app.http.listen({ host: "127.0.0.1", port: 0 });
    home = ensureHome(join(root, "home"));
    writeNetworkInfo(home, {
      apiUrl,
      rpcUrl: "http://127.0.0.1:9",
      chainId: 31337,
      deploymentFile: "",
      pid: 0,
    });
    const stored = await artifacts.put(bytes, { maxBytes: 1_000_000 });
    const task = await repos.tasks.create({
      title: "Instructions",
      description: "d",
      type: "lm-lora",
      baseModel: base,
      contextLength: 16,
      maxTrainableParams: 1000,
      trainingSetId: contentId("train"),
      validationCommitment: contentId("hidden"),
      submissionDeadline: new Date(Date.now() + 60_000),
      endTime: new Date(Date.now() + 120_000),
      rewardWeight: 1n,
      minStake: parseFlock("100"),
      minLockDays: 0,
      creator: `0x${"00".repeat(19)}02`,
    });
    await repos.models.register({
      name: "flock/lm-lora-instructions",
      kind: "arena-lora",
      taskId: task.id,
      baseModel: base,
      artifact: stored.id,
      license: "apache-2.0",
      metrics: { bits_per_byte: 1.25 },
      lineage: {
        task: { id: task.id, title: task.title, type: "lm-lora", kind: "arena" },
        baseModel: base,
        trainers: [`0x${"00".repeat(19)}03`],
        validators: [{ account: `0x${"00".repeat(19)}04`, score: "1250000000000000000" }],
        consensusScore: "1250000000000000000",
        submissionId: 1,
        datasets: [contentId("train")],
      },
    });
    // A full decoder (its weights held by the coordinator), for the ONNX download.
    const full = await artifacts.put(
      encodeBaseModel({ config, params: initLlamaParameters(config, createRng(5)) }),
      {
        maxBytes: 1_000_000,
      },
    );
    await repos.models.register({
      name: "flock/lm-full-tiny",
      kind: "arena-full",
      taskId: task.id,
      baseModel: full.id,
      artifact: full.id,
      license: "apache-2.0",
      metrics: {},
      lineage: {
        task: { id: task.id, title: task.title, type: "lm-full", kind: "arena" },
        baseModel: full.id,
        trainers: [`0x${"00".repeat(19)}03`],
        validators: [],
        datasets: [],
      },
    });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await database?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function flock(...args: string[]) {
    const io = bufferIo();
    const code = await main(["--home", home.root, ...args], io);
    return { code, out: io.out(), err: io.err() };
  }

  it("lists, shows and prints the card", async () => {
    const list = await flock("models", "list");
    expect(list.code).toBe(0);
    expect(list.out).toContain("flock/lm-lora-instructions");
    expect(list.out).toContain("bits_per_byte 1.25");
    const json = JSON.parse((await flock("--json", "models", "list")).out);
    expect(json.map((m: { name: string }) => m.name)).toEqual([
      "flock/lm-full-tiny",
      "flock/lm-lora-instructions",
    ]);
    const show = await flock("models", "show", "flock/lm-lora-instructions@1");
    expect(show.code).toBe(0);
    expect(show.out).toContain("validators 0x0000000000000000000000000000000000000004 1250000000000000000");
    const card = await flock("models", "card", String(json[1].id));
    expect(card.out).toMatch(/^---\nlicense: "apache-2.0"\nbase_model:\n- "sha256:/);
    expect(card.out).toContain("base_model_relation: adapter");
  });

  it("downloads the Hugging Face folder that PEFT's layout loader reads back", async () => {
    const out = join(root, "download");
    const result = await flock("models", "download", "flock/lm-lora-instructions", "--out", out);
    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "README.md",
      "adapter_config.json",
      "adapter_model.safetensors",
    ]);
    expect(readFileSync(join(out, "README.md"), "utf8")).toContain("## Lineage");
    const loaded = await loadLoraAdapter(out, config);
    for (const [name, p] of adapter) expect(loaded.adapter.get(name)).toEqual(p);
  });

  it("downloads a model as one ONNX file that onnxruntime runs; refuses an adapter whose base it lacks", async () => {
    const out = join(root, "onnx");
    const result = await flock(
      "models",
      "download",
      "flock/lm-full-tiny",
      "--format",
      "onnx",
      "--seq-len",
      "8",
      "--out",
      out,
    );
    expect(result.code).toBe(0);
    expect(result.out).toContain("model.onnx");
    expect(readdirSync(out)).toEqual(["model.onnx"]);
    const session = await ort.InferenceSession.create(readFileSync(join(out, "model.onnx")));
    expect(session.inputNames).toEqual(["input_ids", "attention_mask"]);
    const logits = (
      await session.run({
        input_ids: new ort.Tensor("int64", new BigInt64Array(8).fill(3n), [1, 8]),
        attention_mask: new ort.Tensor("int64", new BigInt64Array(8).fill(1n), [1, 8]),
      })
    ).logits!;
    await session.release();
    expect(logits.dims).toEqual([1, 8, 32]);
    // The adapter's base model ("base model") is not in this coordinator's store.
    const adapterOnnx = await flock(
      "models",
      "download",
      "flock/lm-lora-instructions",
      "--format",
      "onnx",
      "--out",
      out,
    );
    expect(adapterOnnx.code).toBe(1);
    expect(adapterOnnx.err).toContain("MODEL_ONNX_UNAVAILABLE");
    const tooLong = await flock(
      "models",
      "download",
      "flock/lm-full-tiny",
      "--format",
      "onnx",
      "--seq-len",
      "17",
      "--out",
      out,
    );
    expect(tooLong.code).toBe(1);
    expect(tooLong.err).toContain("ONNX_SEQ_LEN_INVALID");
    const badFormat = await flock(
      "models",
      "download",
      "flock/lm-full-tiny",
      "--format",
      "zip",
      "--out",
      out,
    );
    expect(badFormat.code).toBe(2);
    expect(badFormat.err).toContain("MODEL_FORMAT_UNKNOWN");
  });

  it("refuses a malformed reference, a missing --out and an unknown model with clear codes", async () => {
    const bad = await flock("models", "show", "Not A Name");
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("MODEL_NAME_MALFORMED");
    const noOut = await flock("models", "download", "flock/lm-lora-instructions");
    expect(noOut.code).toBe(2);
    expect(noOut.err).toContain("--out");
    const unknown = await flock("models", "show", "flock/nothing");
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain("MODEL_NOT_FOUND");
  });
});
