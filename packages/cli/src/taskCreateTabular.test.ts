import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId } from "@flock/core";
import { countParameters, decodeBaseModel, readTabularModel } from "@flock/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { instructionJsonl, tinyBaseModel } from "../../node/src/testing/tinyNetwork.ts";
import { tinyTabularTask } from "../../node/src/testing/tinyTabular.ts";
import { ensureHome } from "./home.ts";
import { bufferIo } from "./io.ts";
import { main } from "./main.ts";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "./network/embeddedNetwork.ts";
import { participant } from "./network/participant.ts";

const never = new AbortController().signal;

describe("flock task create --type classifier|regressor|lm-full", () => {
  let root: string;
  let network: EmbeddedNetwork;
  let inputs: string;
  const classifier = tinyTabularTask("classifier", { seed: 21, trainRows: 64, hiddenRows: 32 });
  const regressor = tinyTabularTask("regressor", { seed: 22, trainRows: 64, hiddenRows: 32 });

  const flock = async (...argv: string[]) => {
    const io = bufferIo();
    const code = await main(["--home", root, ...argv], io, { signal: never });
    return { code, out: io.out(), err: io.err() };
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "flock-task-tabular-"));
    network = await startEmbeddedNetwork({ home: ensureHome(root) });
    inputs = join(root, "inputs");
    mkdirSync(inputs);
    for (const [name, content] of [
      ["c-train.csv", classifier.trainingCsv],
      ["c-hidden.csv", classifier.hiddenCsv],
      ["r-train.csv", regressor.trainingCsv],
      ["r-hidden.csv", regressor.hiddenCsv],
      ["r-base.safetensors", regressor.baseModel],
    ] as const) {
      writeFileSync(join(inputs, name), content);
    }
  });
  afterAll(async () => {
    await network?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("--hidden builds a fresh MLP from the CSV header, publishes it and opens the task; the base log-loss is printed", async () => {
    const created = await flock(
      "--json",
      "task",
      "create",
      "--account",
      "admin",
      "--title",
      "classify",
      "--type",
      "classifier",
      "--hidden",
      "16",
      "--training-set",
      join(inputs, "c-train.csv"),
      "--validation-set",
      join(inputs, "c-hidden.csv"),
    );
    expect(created.code, created.err).toBe(0);
    const task = JSON.parse(created.out);
    expect(task).toMatchObject({
      type: "classifier",
      status: "open",
      contextLength: 1,
      maxTrainableParams: 6 * 16 + 16 + 16 * 3 + 3,
      trainingSetId: contentId(classifier.trainingCsv),
      validationCommitment: contentId(classifier.hiddenCsv),
    });
    expect(created.err).toContain("built a fresh classifier MLP 6-16-3 (163 parameters, seed 1)");
    // The base model's log-loss on the hidden set: about ln 3 for a fresh 3-class MLP.
    expect(task.baseBpc).toBeGreaterThan(0.5);
    expect(task.baseBpc).toBeLessThan(3);
    // The published base model is the tabular file trainers download.
    const base = await participant(ensureHome(root), "ada").api.artifacts.download(task.baseModel);
    expect(readTabularModel(base).spec).toMatchObject({ label: "class", features: classifier.spec.features });
  });

  it("--base-model takes a tabular model file for a regressor and prints the base RMSE", async () => {
    const created = await flock(
      "task",
      "create",
      "--account",
      "admin",
      "--title",
      "regress",
      "--type",
      "regressor",
      "--base-model",
      join(inputs, "r-base.safetensors"),
      "--train",
      join(inputs, "r-train.csv"),
      "--validation",
      join(inputs, "r-hidden.csv"),
    );
    expect(created.code, created.err).toBe(0);
    expect(created.out).toMatch(/task \d+ "regress" is open/);
    expect(created.out).toMatch(/base model on the hidden set: rmse \d+\.\d{4}/);
    expect(created.err).toContain(
      `publishing base model: done ${contentId(regressor.baseModel).slice(0, 19)}`,
    );
  });

  it("--type lm-full: a decoder base model, every weight trainable (maxTrainableParams = its parameter count)", async () => {
    const decoder = tinyBaseModel(4);
    writeFileSync(join(inputs, "decoder.bin"), decoder);
    writeFileSync(join(inputs, "chats.jsonl"), instructionJsonl(1, 8));
    writeFileSync(join(inputs, "hidden-chats.jsonl"), instructionJsonl(2, 4));
    const created = await flock(
      "--json",
      "task",
      "create",
      "--account",
      "admin",
      "--title",
      "full",
      "--type",
      "lm-full",
      "--base-model",
      join(inputs, "decoder.bin"),
      "--training-set",
      join(inputs, "chats.jsonl"),
      "--validation-set",
      join(inputs, "hidden-chats.jsonl"),
      "--context-length",
      "48",
    );
    expect(created.code, created.err).toBe(0);
    expect(JSON.parse(created.out)).toMatchObject({
      type: "lm-full",
      status: "open",
      contextLength: 48,
      maxTrainableParams: countParameters(decodeBaseModel(decoder).params),
    });
  });

  it("refuses a tabular task without a base model or --hidden, a CSV that does not fit, and an unknown type", async () => {
    const args = ["task", "create", "--account", "admin", "--title", "x", "--type", "classifier"];
    const sets = [
      "--training-set",
      join(inputs, "c-train.csv"),
      "--validation-set",
      join(inputs, "c-hidden.csv"),
    ];
    const missing = await flock(...args, ...sets);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("error TASK_BASE_MODEL_MISSING:");
    expect(missing.err).toContain("hint: give --hidden 32");
    const misfit = await flock(...args, "--base-model", join(inputs, "r-base.safetensors"), ...sets);
    expect(misfit.err).toContain("error TASK_BASE_MODEL_INVALID:");
    const wrongSet = await flock(
      ...args,
      "--hidden",
      "8",
      "--training-set",
      join(inputs, "c-train.csv"),
      "--validation-set",
      join(inputs, "r-hidden.csv"),
    );
    expect(wrongSet.code).toBe(1);
    expect(wrongSet.err).toContain("error TASK_DATA_INVALID:");
    const unknown = await flock("task", "create", "--title", "x", "--type", "lm-dpo");
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("USAGE_ERROR");
  });
});
