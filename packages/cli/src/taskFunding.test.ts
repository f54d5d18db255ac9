import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getTaskPool } from "@flock/chain";
import { parseFlock } from "@flock/core";
import {
  createRng,
  encodeBaseModel,
  formatShareGpt,
  generateInstructionDataset,
  initLlamaParameters,
  llamaConfig,
} from "@flock/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureHome } from "./home.ts";
import { bufferIo } from "./io.ts";
import { main } from "./main.ts";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "./network/embeddedNetwork.ts";
import { participant } from "./network/participant.ts";

const never = new AbortController().signal;

// SPEC §3: anyone may post a task that funds its own pool; emission is approved by the operator role.
describe("flock task create --pool, fund, open, approve", () => {
  let root: string;
  let network: EmbeddedNetwork;
  let inputs: string;
  let seed = 10;

  const flock = async (...argv: string[]) => {
    const io = bufferIo();
    const code = await main(["--home", root, ...argv], io, { signal: never });
    return { code, out: io.out(), err: io.err() };
  };
  /** A task from the tiny files, each with a hidden set of its own. */
  const create = (...extra: string[]) => {
    seed += 1;
    const hidden = join(inputs, `hidden-${seed}.jsonl`);
    writeFileSync(
      hidden,
      formatShareGpt(generateInstructionDataset({ seed, count: 8 }).map((e) => e.conversation)),
    );
    return flock(
      "--json",
      "task",
      "create",
      "--title",
      `funded ${seed}`,
      "--base-model",
      join(inputs, "base.bin"),
      "--train",
      join(inputs, "train.jsonl"),
      "--validation",
      hidden,
      "--context-length",
      "64",
      ...extra,
    );
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "flock-task-funding-"));
    network = await startEmbeddedNetwork({ home: ensureHome(root) });
    inputs = join(root, "inputs");
    mkdirSync(inputs);
    const tiny = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 64 });
    writeFileSync(
      join(inputs, "base.bin"),
      encodeBaseModel({ config: tiny, params: initLlamaParameters(tiny, createRng(3)) }),
    );
    writeFileSync(
      join(inputs, "train.jsonl"),
      formatShareGpt(generateInstructionDataset({ seed: 1, count: 4 }).map((e) => e.conversation)),
    );
  });
  afterAll(async () => {
    await network?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("--pool creates, funds from the creator's wallet and opens in one go, printing each step", async () => {
    const created = await create("--account", "ada", "--pool", "50");
    expect(created.code, created.err).toBe(0);
    const task = JSON.parse(created.out);
    expect(task).toMatchObject({ status: "open", pool: parseFlock("50").toString(), rewardWeight: "0" });
    expect(created.err).toContain(`ada funded task ${task.id}'s reward pool with 50 FLOCK`);
    expect(created.err).toContain(`opened task ${task.id}`);
    const reader = participant(ensureHome(root), "ada").chain;
    expect(await getTaskPool(reader, { taskId: BigInt(task.id) })).toBe(parseFlock("50"));

    // `flock task fund` adds to a pool; with nothing missing and no amount it says the pool is funded.
    const full = await flock("task", "fund", String(task.id), "--account", "bo");
    expect(full.code).toBe(1);
    expect(full.err).toContain("error TASK_POOL_FUNDED:");
    const more = await flock("task", "fund", String(task.id), "--amount", "5", "--account", "bo");
    expect(more.code, more.err).toBe(0);
    expect(await getTaskPool(reader, { taskId: BigInt(task.id) })).toBe(parseFlock("55"));
  });

  it("an emission-only task waits for an operator: open names the approval, approve needs the role", async () => {
    const created = await create("--account", "bo", "--weight", "3");
    expect(created.code, created.out).toBe(0);
    const task = JSON.parse(created.out);
    expect(task).toMatchObject({ status: "draft", approvedWeight: null });
    expect(created.err).toContain(`flock task approve ${task.id} --weight 3`);

    const early = await flock("task", "open", String(task.id), "--account", "bo");
    expect(early.code).toBe(1);
    expect(early.err).toContain("error TASK_NOT_APPROVED:");
    expect(early.err).toContain(`flock task approve ${task.id}`);
    const self = await flock("task", "approve", String(task.id), "--weight", "3", "--account", "bo");
    expect(self.code).toBe(1);
    expect(self.err).toContain("error NOT_OPERATOR:");

    const approved = await flock("task", "approve", String(task.id), "--weight", "2", "--account", "admin");
    expect(approved.code, approved.err).toBe(0);
    expect(approved.out).toContain(`approved emission weight 2 for task ${task.id}`);
    const opened = await flock("--json", "task", "open", String(task.id), "--account", "bo");
    expect(opened.code, opened.err).toBe(0);
    expect(JSON.parse(opened.out)).toMatchObject({ status: "open", approvedWeight: "2" });
  });
});
