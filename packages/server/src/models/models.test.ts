import type { AddressInfo } from "node:net";
import { contentId } from "@flock/core";
import {
  createRng,
  decodeAdapterArtifact,
  encodeAdapterArtifact,
  initLoraParameters,
  llamaConfig,
  loraConfig,
  readHfAdapterFolder,
} from "@flock/engine";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlScenario, startFlScenario } from "../testing/flScenario.ts";
import { operatorAccount } from "../testing/operatorAccount.ts";
import { createRecordingChainGateway } from "../testing/recordingChainGateway.ts";
import { commitScore, type PendingReveal, revealScores } from "../testing/scoreReveal.ts";
import { manualClock, startTestApp, type TestApp } from "../testing/testApp.ts";
import { parseFrontMatter } from "./frontMatter.testing.ts";

// biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field.
const getJson = async (url: string): Promise<any> => (await fetch(url)).json();
const key = () => privateKeyToAccount(generatePrivateKey());
const WAD = 10n ** 18n;
const T0 = new Date(Math.floor(Date.now() / 60_000) * 60_000);
const minutes = (n: number) => new Date(T0.getTime() + n * 60_000);

const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 32, maxPositions: 16 });
const lora = loraConfig({ r: 2, alpha: 4 });
function adapterBytes(seed: number, baseModel: string): Uint8Array {
  const adapter = initLoraParameters(config, lora, createRng(seed));
  for (const [name, p] of adapter) if (name.includes("lora_B")) p.data.fill(seed / 10);
  return encodeAdapterArtifact({ lora, adapter, baseModel });
}

/**
 * Moonbase's registry over real HTTP (127.0.0.1): an Arena task's winner is registered when its epoch settles it,
 * with its trainer, validators' revealed scores and consensus; its card is Hugging Face's format; its folder
 * downloads as PEFT files that read back to the submitted adapter.
 */
describe("model registry: an Arena winner", () => {
  const clock = manualClock(T0);
  const chain = createRecordingChainGateway(31337);
  const trainers = [key(), key()];
  const validators = [key(), key(), key()];
  let t: TestApp;
  let origin: string;
  let taskId: number;
  let base: string;
  const winnerBytes: Uint8Array[] = [];

  beforeAll(async () => {
    chain.mints = [{ mintIndex: 0n, amount: 1000n * WAD }];
    t = await startTestApp({ clock, chain });
    await t.app.http.listen({ host: "127.0.0.1", port: 0 });
    origin = `http://127.0.0.1:${(t.app.http.server.address() as AddressInfo).port}`;
    base = await t.publish("base model");
    await t.publish("train");
    taskId = (
      await t.signed(operatorAccount, "POST", "/tasks", {
        title: "Instruction following, tiny Llama",
        description: "d",
        type: "lm-lora",
        baseModel: base,
        contextLength: 16,
        maxTrainableParams: 1000,
        trainingSetId: contentId("train"),
        validationCommitment: contentId("hidden"),
        submissionDeadline: minutes(60).toISOString(),
        endTime: minutes(120).toISOString(),
        rewardWeight: "1",
        minStake: (1000n * WAD).toString(),
        minLockDays: 0,
      })
    ).json().id;
    let block = 1;
    for (const [account, role] of [
      ...trainers.map((a) => [a, "trainer"] as const),
      ...validators.map((a) => [a, "validator"] as const),
    ]) {
      await t.repos.stakes.applyEvent({
        taskId,
        account: account.address,
        role,
        amount: 5000n * WAD,
        blockNumber: block++,
        logIndex: 0,
      });
    }
    for (const [i, trainer] of trainers.entries()) {
      const bytes = adapterBytes(i + 1, base);
      if (i === 0) winnerBytes.push(bytes);
      const commit = (
        await t.signed(trainer, "POST", `/tasks/${taskId}/submissions`, { commitHash: contentId(bytes) })
      ).json();
      await t.upload(trainer, `/submissions/${commit.id}/artifact`, bytes);
    }
    clock.set(minutes(60));
    await t.app.scheduler.runDue();
    const pending: PendingReveal[] = [];
    for (const v of validators) {
      for (const a of (await t.signed(v, "GET", "/assignments")).json().items) {
        const submission = await t.repos.submissions.get(a.submissionId);
        const winner = submission.trainer === trainers[0]!.address.toLowerCase();
        const score = winner ? 1_210_000_000_000_000_000n : 1_500_000_000_000_000_000n;
        pending.push(await commitScore(t, v, a.id, score, { bpc: score.toString() }));
      }
    }
    clock.set(minutes(121));
    await revealScores(t, pending);
    clock.set(minutes(130));
    await t.app.scheduler.runDue();
  });
  afterAll(() => t.dispose());

  it("the settled task's rank-0 submission is registered with its lineage", async () => {
    const failed = await t.repos.jobs.list({ status: "failed" });
    expect(failed.map((j) => `${j.kind}: ${j.lastError}`)).toEqual([]);
    expect((await t.repos.tasks.get(taskId)).status).toBe("closed");
    const list = await getJson(`${origin}/models`);
    expect(list.items).toHaveLength(1);
    const model = list.items[0];
    expect(model).toMatchObject({
      name: "flock/lm-lora-instruction-following-tiny-llama",
      version: 1,
      kind: "arena-lora",
      taskId,
      baseModel: base,
      artifact: contentId(winnerBytes[0]!),
      license: "apache-2.0",
      metrics: { bits_per_byte: 1.21 },
    });
    expect(model.lineage).toMatchObject({
      task: { id: taskId, kind: "arena", type: "lm-lora" },
      trainers: [trainers[0]!.address.toLowerCase()],
      consensusScore: "1210000000000000000",
      datasets: [contentId("train")],
    });
    expect(
      model.lineage.validators.map((v: { account: string; score: string }) => [v.account, v.score]),
    ).toEqual(
      validators
        .map((v) => [v.address.toLowerCase(), "1210000000000000000"])
        .sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    // By id, by (URL-encoded) name and name@version.
    for (const ref of [
      String(model.id),
      encodeURIComponent(model.name),
      encodeURIComponent(`${model.name}@1`),
    ]) {
      expect((await getJson(`${origin}/models/${ref}`)).id).toBe(model.id);
    }
    // Settling again (a re-run close) registers nothing new.
    await t.app.scheduler.runDue();
    expect((await t.repos.models.list({ allVersions: true })).length).toBe(1);
  });

  it("the card is Hugging Face's format: front matter with base_model and base_model_relation, then sections", async () => {
    const response = await fetch(`${origin}/models/${(await t.repos.models.list())[0]!.id}/card`);
    expect(response.headers.get("content-type")).toMatch(/^text\/markdown/);
    const card = await response.text();
    const meta = await parseFrontMatter(card);
    expect(meta).toMatchObject({
      license: "apache-2.0",
      base_model: [base],
      base_model_relation: "adapter",
      library_name: "peft",
      datasets: [contentId("train")],
    });
    expect(meta["model-index"][0].results[0].metrics).toEqual([{ type: "bits_per_byte", value: 1.21 }]);
    for (const section of [
      "## Evaluation",
      "## Lineage",
      "### Validators",
      "## How to call it",
      "## How to download it",
    ]) {
      expect(card).toContain(section);
    }
    expect(card).toContain(trainers[0]!.address.toLowerCase());
    expect(card).toContain("/v1");
  });

  it("the folder downloads as PEFT files that read back to the winning adapter", async () => {
    const id = (await t.repos.models.list())[0]!.id;
    const listing = await getJson(`${origin}/models/${id}/files`);
    expect(listing.layout).toBe("peft-lora");
    expect(listing.files.map((f: { name: string }) => f.name)).toEqual([
      "README.md",
      "adapter_config.json",
      "adapter_model.safetensors",
    ]);
    const files = new Map<string, Uint8Array>();
    for (const f of listing.files) {
      const response = await fetch(`${origin}/models/${id}/files/${f.name}`);
      expect(response.status).toBe(200);
      files.set(f.name, new Uint8Array(await response.arrayBuffer()));
      expect(files.get(f.name)!.byteLength).toBe(f.size);
    }
    const { peft, tensors } = readHfAdapterFolder(files);
    expect(peft).toMatchObject({ peft_type: "LORA", r: 2, lora_alpha: 4, base_model_name_or_path: base });
    const submitted = decodeAdapterArtifact(winnerBytes[0]!, config, base);
    for (const [name, p] of submitted.adapter)
      expect(Float32Array.from(tensors[name]!.data as Float32Array)).toEqual(p.data);
  });

  it("refuses unknown models and files with clear codes", async () => {
    const id = (await t.repos.models.list())[0]!.id;
    const missing = await fetch(`${origin}/models/999999`);
    expect(missing.status).toBe(404);
    expect((await missing.json()) as object).toMatchObject({ code: "MODEL_NOT_FOUND" });
    const file = await fetch(`${origin}/models/${id}/files/secrets.txt`);
    expect(file.status).toBe(404);
    expect((await file.json()) as object).toMatchObject({ code: "MODEL_FILE_NOT_FOUND" });
    const malformed = await fetch(`${origin}/models/${encodeURIComponent("Not A Name")}`);
    expect(malformed.status).toBe(400);
    expect((await malformed.json()) as object).toMatchObject({ code: "MODEL_NAME_MALFORMED" });
  });
});

describe("model registry: a federated task's global model", () => {
  let s: FlScenario;
  afterAll(() => s?.dispose());

  it("is registered when the task finishes, with its rounds, proposers, voters and contribution values", async () => {
    const target = [1, 2, 3, 4];
    s = await startFlScenario({
      participants: [
        { target: target.map((v) => v + 0.1) },
        { target: target.map((v) => v - 0.1) },
        { target },
        { target: target.map((v) => v + 0.05) },
      ],
      rounds: 1,
      payRule: "contribution",
    });
    await s.play();
    const task = await s.task();
    expect(task.status).toBe("closed");
    const list = await getJson(`${s.origin}/models?taskId=${task.id}`);
    expect(list.items).toHaveLength(1);
    const model = list.items[0];
    const rounds = await s.rounds();
    expect(model).toMatchObject({
      name: "flock/fl-regressor-federated-vectors",
      kind: "fl-global",
      artifact: task.globalModel,
      lineage: { task: { id: task.id, kind: "federated" }, payRule: "contribution", datasets: [] },
    });
    expect(model.lineage.rounds).toHaveLength(1);
    expect(model.lineage.rounds[0]).toMatchObject({
      round: 1,
      status: "accepted",
      proposers: rounds[0]!.proposers.map((p) => p.account),
      voters: rounds[0]!.voters.map((v) => v.account),
    });
    expect(model.lineage.trainers).toEqual([...rounds[0]!.contributors].sort());
    // Pay by contribution: each proposer's value in the round, as the round published it.
    const values = model.lineage.rounds[0].contributions;
    expect(values).toEqual(
      rounds[0]!.contributions!.map((c) => ({ account: c.account, valueWad: c.valueWad.toString() })),
    );
    expect(values.length).toBeGreaterThan(0);
    const card = await (await fetch(`${s.origin}/models/${model.id}/card`)).text();
    expect(card).toContain("### Federated rounds (pay rule: contribution)");
    const meta = await parseFrontMatter(card);
    expect(meta).toMatchObject({ base_model: [task.baseModel], base_model_relation: "finetune" });
    expect(meta.tags).toContain("federated-learning");
  });
});
