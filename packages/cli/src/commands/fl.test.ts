import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createRng,
  encodeBaseModel,
  initLlamaParameters,
  llamaConfig,
  parseShareGpt,
  parseTabularCsv,
  readTabularModel,
} from "@flock/engine";
import { decodeArrays } from "@flock/fl";
import type { FlRound } from "@flock/sdk";
import { afterAll, describe, expect, it } from "vitest";
import { bufferIo } from "../io.ts";
import { main } from "../main.ts";
import { flProgressLine, roundRow } from "./fl.ts";
import { type FlCreateOptions, planFlCreate } from "./flOptions.ts";

const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "flock-fl-cli-"));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const never = new AbortController().signal;
async function flock(...args: string[]) {
  const io = bufferIo();
  const code = await main(["--home", tempRoot(), ...args], io, { signal: never });
  return { code, out: io.out(), err: io.err() };
}

const labelCounts = (csv: string, classes: number) => {
  const rows = parseTabularCsv(csv, { kind: "classifier", numClasses: classes });
  const counts = new Array<number>(classes).fill(0);
  for (const y of rows.y) counts[y]!++;
  return { rows, counts };
};

describe("flock fl shards", () => {
  it("writes each hospital's private digits train and test CSVs, skewed in labels and sizes, same seed same files", async () => {
    const out = join(tempRoot(), "shards");
    const { code, out: stdout } = await flock(
      "fl",
      "shards",
      "--dataset",
      "digits",
      "--parts",
      "3",
      "--out",
      out,
      "--seed",
      "2",
    );
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["party-1", "party-2", "party-3"]);
    expect(stdout).toContain("--model-type classifier --schema");
    const parties = [1, 2, 3].map((i) => ({
      train: labelCounts(readFileSync(join(out, `party-${i}`, "train.csv"), "utf8"), 10),
      test: labelCounts(readFileSync(join(out, `party-${i}`, "test.csv"), "utf8"), 10),
    }));
    for (const p of parties) {
      expect(p.train.rows.features).toHaveLength(64);
      expect(p.train.rows.label).toBe("digit");
      expect(p.test.rows.rows).toBeGreaterThan(0);
    }
    // Disjoint shares of the 1438 shipped training rows, of different sizes and label mixes.
    expect(parties.reduce((s, p) => s + p.train.rows.rows, 0)).toBeLessThanOrEqual(1438);
    expect(new Set(parties.map((p) => p.train.rows.rows)).size).toBe(3);
    const share = (c: number[]) => c.map((n) => n / c.reduce((a, b) => a + b, 0));
    const [a, b] = [share(parties[0]!.train.counts), share(parties[1]!.train.counts)];
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeGreaterThan(0.05);

    const again = join(tempRoot(), "again");
    await flock("fl", "shards", "--dataset", "digits", "--parts", "3", "--out", again, "--seed", "2");
    expect(readFileSync(join(again, "party-2", "train.csv"), "utf8")).toBe(
      readFileSync(join(out, "party-2", "train.csv"), "utf8"),
    );
  });

  it("splits generated glucose series by patient: CGM readings, carbs and insulin → glucose 30 min ahead", async () => {
    const out = join(tempRoot(), "glucose");
    const { code } = await flock(
      "fl",
      "shards",
      "--dataset",
      "glucose",
      "--parts",
      "2",
      "--out",
      out,
      "--json",
    );
    expect(code).toBe(0);
    const train = parseTabularCsv(readFileSync(join(out, "party-1", "train.csv"), "utf8"), {
      kind: "regressor",
    });
    const test = parseTabularCsv(readFileSync(join(out, "party-1", "test.csv"), "utf8"), {
      kind: "regressor",
    });
    expect(train.label).toBe("glucose_t+30");
    expect(train.features).toContain("glucose_t-0");
    expect(train.features).toContain("carbs_last_60min");
    expect(train.features).toContain("insulin_last_60min");
    expect(test.rows).toBeGreaterThan(0);
    expect(train.rows / (train.rows + test.rows)).toBeCloseTo(0.8, 2);
    // Another patient, another series.
    const other = readFileSync(join(out, "party-2", "train.csv"), "utf8");
    expect(other).not.toBe(readFileSync(join(out, "party-1", "train.csv"), "utf8"));
  });

  it("refuses an unknown dataset or a bad number of parties", async () => {
    const unknown = await flock("fl", "shards", "--dataset", "mnist", "--parts", "3", "--out", tempRoot());
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain(
      'error FL_OPTION_INVALID: --dataset "mnist" is not one of digits, breast-cancer, glucose, instructions',
    );
    const one = await flock("fl", "shards", "--dataset", "digits", "--parts", "1", "--out", tempRoot());
    expect(one.err).toContain("--parts must be a whole number from 2 to 50");
  });
});

const BASE: FlCreateOptions = {
  title: "t",
  description: "",
  modelType: "classifier",
  hidden: "16",
  seed: "3",
  rounds: "2",
  roundSeconds: "30",
  minParticipants: "3",
  maxParticipants: "10",
  joinMinutes: "5",
  minStake: "100",
  minLockDays: "0",
  strategy: "fedavg",
  privacy: "plain",
  payRule: "stake",
};

describe("flock fl create", () => {
  it("builds a seeded tabular base model from a CSV header and turns every flag into the request", () => {
    const csv = join(tempRoot(), "schema.csv");
    writeFileSync(csv, "a,b,c,outcome\n0.1,0.2,0.3,0\n0.4,0.5,0.6,2\n");
    const now = Date.parse("2026-12-02T18:00:00Z");
    const plan = planFlCreate(
      {
        ...BASE,
        schema: csv,
        pool: "250",
        strategy: "fedprox:proximalMu=0.1",
        privacy: "secagg+dp",
        targetEpsilon: "8",
        delta: "0.00001",
        clipNorm: "1.5",
        lr: "0.05",
        localEpochs: "2",
        batchSize: "16",
        proposerFractionBps: "4000",
      },
      now,
    );
    expect(plan.task).toMatchObject({
      modelType: "classifier",
      rounds: 2,
      roundSeconds: 30,
      joinDeadline: new Date(now + 5 * 60_000),
      pool: 250n * 10n ** 18n,
      rewardWeight: 0n,
      minStake: 100n * 10n ** 18n,
      strategy: { name: "fedprox", params: { proximalMu: 0.1 } },
      privacy: { mode: "secagg+dp", targetEpsilon: 8, delta: 0.00001, clipNorm: 1.5 },
      proposerFractionBps: 4000,
      trainConfig: { learningRate: 0.05, localEpochs: 2, batchSize: 16 },
    });
    const model = readTabularModel(plan.baseModel as Uint8Array);
    expect(model.spec).toEqual({
      config: { kind: "classifier", numFeatures: 3, hidden: [16], numClasses: 3 },
      features: ["a", "b", "c"],
      label: "outcome",
    });
    // The arrays every participant exchanges: the file's tensors by sorted name.
    expect([...decodeArrays(plan.baseModel as Uint8Array).arrays.keys()]).toEqual([
      "layers.0.bias",
      "layers.0.weight",
      "layers.1.bias",
      "layers.1.weight",
    ]);
    const again = planFlCreate({ ...BASE, schema: csv }, now);
    expect(again.baseModel).toEqual(planFlCreate({ ...BASE, schema: csv }, now).baseModel);
    expect(again.task.rewardWeight).toBe(1n);
  });

  it.each([
    [{ baseModel: "m.safetensors", schema: "s.csv" }, "exactly one of --base-model and --schema"],
    [{}, "exactly one of --base-model and --schema"],
    [{ schema: "s.csv", modelType: "lm-lora" }, "--schema builds tabular models only"],
    [{ schema: "s.csv", modelType: "regressor", classes: "3" }, "--classes is for classifiers"],
    [{ schema: "s.csv", maxParticipants: "2" }, "--max-participants 2 is below --min-participants 3"],
    [{ schema: "s.csv", rounds: "0" }, "--rounds must be a whole number from 1 to 1000"],
    [{ schema: "s.csv", privacy: "secagg+dp" }, "--privacy secagg+dp needs --target-epsilon and --clip-norm"],
    [{ schema: "s.csv", clipNorm: "1" }, "are for --privacy secagg+dp"],
    [
      { schema: "s.csv", privacy: "homomorphic" },
      '--privacy "homomorphic" is not one of plain, secagg, secagg+dp',
    ],
    [{ schema: "s.csv", payRule: "shapley" }, '--pay-rule "shapley" is not one of stake, contribution'],
    [{ schema: "s.csv", strategy: "fedavg,krum" }, "--strategy names 2 strategies"],
    [{ schema: "s.csv", lr: "-1" }, "--lr must be a number > 0"],
  ] as [Partial<FlCreateOptions>, string][])(
    "refuses %j before touching the network: %s",
    (flags, message) => {
      expect(() => planFlCreate({ ...BASE, ...flags }, Date.now())).toThrow(message);
    },
  );

  it("names the strategy flag in an unknown strategy, and checks everything before looking for the network", async () => {
    const unknown = await flock("fl", "create", "--title", "x", "--schema", "s.csv", "--strategy", "fedsgd");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('error FL_STRATEGY_UNKNOWN: --strategy: no strategy named "fedsgd"');
    const csv = join(tempRoot(), "schema.csv");
    writeFileSync(csv, "a,b,y\n1,2,0\n3,4,1\n");
    const valid = await flock("fl", "create", "--title", "x", "--schema", csv);
    expect(valid.code).toBe(1);
    expect(valid.err).toContain("error NETWORK_NOT_RUNNING");
  });
});

describe("flock fl shards --dataset instructions", () => {
  it("writes each party's private instruction conversations as ShareGPT JSONL, same seed same files", async () => {
    const out = join(tempRoot(), "instructions");
    const { code } = await flock("fl", "shards", "--dataset", "instructions", "--parts", "3", "--out", out);
    expect(code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["party-1", "party-2", "party-3"]);
    const train = parseShareGpt(readFileSync(join(out, "party-1", "train.jsonl"), "utf8"));
    const test = parseShareGpt(readFileSync(join(out, "party-1", "test.jsonl"), "utf8"));
    expect([train.length, test.length]).toEqual([64, 16]);
    expect(train.every((c) => c.conversations.some((m) => m.role === "assistant"))).toBe(true);
    // Private shards: the parties hold different conversations.
    expect(readFileSync(join(out, "party-2", "train.jsonl"), "utf8")).not.toBe(
      readFileSync(join(out, "party-1", "train.jsonl"), "utf8"),
    );
    const again = join(tempRoot(), "again");
    await flock("fl", "shards", "--dataset", "instructions", "--parts", "3", "--out", again);
    expect(readFileSync(join(again, "party-3", "test.jsonl"), "utf8")).toBe(
      readFileSync(join(out, "party-3", "test.jsonl"), "utf8"),
    );
  });
});

describe("flock fl create --model-type lm-lora", () => {
  const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 32 });
  const modelFile = () => {
    const path = join(tempRoot(), "model.safetensors");
    writeFileSync(path, encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) }));
    return path;
  };
  const LORA: FlCreateOptions = { ...BASE, modelType: "lm-lora", privacy: "secagg" };

  it("reads the language model and turns the LoRA flags into the task's recipe", () => {
    const plan = planFlCreate(
      {
        ...LORA,
        baseModel: modelFile(),
        loraRank: "4",
        loraAlpha: "8",
        targetModules: "q_proj,v_proj,down_proj",
        localSteps: "6",
        seqLen: "32",
        lr: "0.01",
        batchSize: "4",
      },
      Date.now(),
    );
    expect(plan.languageModel).toEqual(config);
    expect(plan.task.trainConfig).toEqual({
      learningRate: 0.01,
      batchSize: 4,
      loraRank: 4,
      loraAlpha: 8,
      targetModules: "q_proj,v_proj,down_proj",
      localSteps: 6,
      seqLen: 32,
      seed: 3,
    });
  });

  it.each([
    [{ loraRank: "4" }, "--lora-rank are for --model-type lm-lora"],
    [{ modelType: "lm-lora", loraRank: "32" }, "trainConfig.loraRank is 32"],
    [{ modelType: "lm-lora", seqLen: "64" }, "trainConfig.seqLen is 64"],
    [{ modelType: "lm-lora", targetModules: "attn" }, "trainConfig.targetModules"],
    [{ modelType: "lm-lora", adapter: "adapter.safetensors" }, "--adapter must be a content id"],
  ] as [Partial<FlCreateOptions>, string][])(
    "refuses %j before touching the network: %s",
    (flags, message) => {
      const csv = join(tempRoot(), "schema.csv");
      writeFileSync(csv, "a,y\n1,0\n");
      const options =
        flags.modelType === "lm-lora" ? { ...LORA, baseModel: modelFile() } : { ...BASE, schema: csv };
      expect(() => planFlCreate({ ...options, ...flags }, Date.now())).toThrow(message);
    },
  );

  it("refuses a base model file that is not a language model", () => {
    const path = join(tempRoot(), "tabular.safetensors");
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(() => planFlCreate({ ...LORA, baseModel: path }, Date.now())).toThrow("is not a language model");
  });
});

describe("flock fl join", () => {
  it("needs both private files, and reads them before anything else", async () => {
    const missing = await flock("fl", "join", "1", "--train", "a.csv");
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("--test <file>");
    const unreadable = await flock("fl", "join", "1", "--train", "/nonexistent/a.csv", "--test", "b.csv");
    expect(unreadable.err).toContain("error FILE_UNREADABLE: --train /nonexistent/a.csv cannot be read");
  });
});

describe("what the participant prints", () => {
  it("a line per answered step with the local loss, accuracy and vote", () => {
    expect(
      flProgressLine({
        type: "answered",
        taskId: 1,
        messageId: 3,
        round: 2,
        stage: "train",
        kind: "train",
        role: "proposer",
        metrics: { "train-loss": 0.51234, "train-loss-first-epoch": 0.9 },
      }),
    ).toBe("round 2 · proposer · train: local training loss 0.5123 (first epoch 0.9000)");
    expect(
      flProgressLine({
        type: "answered",
        taskId: 1,
        messageId: 4,
        round: 2,
        stage: "masked-input",
        kind: "exchange",
        role: "proposer",
        metrics: { "train-loss": 1.25, "train-loss-first-step": 2.5, steps: 8 },
      }),
    ).toBe("round 2 · proposer · masked-input: local training loss 1.2500 (first step 2.5000, 8 steps)");
    expect(
      flProgressLine({
        type: "answered",
        taskId: 1,
        messageId: 4,
        round: 2,
        stage: "vote-commit",
        kind: "exchange",
        role: "voter",
        metrics: { candidateLoss: 0.3, globalLoss: 0.4, candidateAccuracy: 0.9, globalAccuracy: 0.85 },
        vote: 1,
      }),
    ).toBe(
      "round 2 · voter · vote-commit: candidate loss 0.3000 vs global 0.4000, accuracy 0.9000 vs 0.8500 → vote +1 (committed)",
    );
  });

  it("a rounds table row: proposers, votes revealed and their signs, tally, outcome, rewards and slashes", () => {
    const wad = 10n ** 18n;
    const round = {
      round: 3,
      status: "rejected",
      proposers: [{ account: "0x1111111111111111111111111111111111111111", stake: 100n * wad }],
      voters: [
        { account: "0x2222222222222222222222222222222222222222", stake: 150n * wad, vote: -1 },
        { account: "0x3333333333333333333333333333333333333333", stake: 100n * wad, vote: 1 },
        { account: "0x4444444444444444444444444444444444444444", stake: 100n * wad, vote: null },
      ],
      tally: -50n * wad,
      rewards: [{ account: "0x2222222222222222222222222222222222222222", amount: 5n * wad }],
      slashes: [{ account: "0x1111111111111111111111111111111111111111", amount: 10n * wad }],
    } as unknown as FlRound;
    expect(roundRow(round)).toEqual([
      "3",
      "rejected",
      "0x1111…1111",
      "2/3 (1+ 1−)",
      "-50",
      "no",
      "5 (slashed 10)",
    ]);
    // Under the contribution pay rule each proposer shows its value (φ, in units of loss).
    const valued = {
      ...round,
      contributions: [
        { account: "0x1111111111111111111111111111111111111111", valueWad: "-25000000000000000" },
      ],
    } as unknown as FlRound;
    expect(roundRow(valued)[2]).toBe("0x1111…1111 φ -0.025");
  });
});
