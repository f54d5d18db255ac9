import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { devAccounts } from "@flock/chain";
import { createRng, encodeBaseModel, formatShareGpt, initLlamaParameters, llamaConfig } from "@flock/engine";
import { afterAll, describe, expect, it } from "vitest";
import { ensureHome } from "./home.ts";
import { bufferIo } from "./io.ts";
import { writeDevKeys } from "./keys.ts";
import { main } from "./main.ts";

const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "flock-first-hour-"));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});
const never = new AbortController().signal;

/** A small flock-llama/1 base model file and a task's other inputs, as a creator would have them. */
function taskFiles(hidden: string) {
  const dir = tempRoot();
  const config = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 96 });
  writeFileSync(
    join(dir, "base.safetensors"),
    encodeBaseModel({ config, params: initLlamaParameters(config, createRng(1)) }),
  );
  writeFileSync(
    join(dir, "train.jsonl"),
    formatShareGpt([
      {
        conversations: [
          { role: "user", content: "2+2?" },
          { role: "assistant", content: "4" },
        ],
      },
    ]),
  );
  writeFileSync(join(dir, "hidden.jsonl"), hidden);
  const args = [
    "--title",
    "t",
    "--base-model",
    join(dir, "base.safetensors"),
    "--train",
    join(dir, "train.jsonl"),
  ];
  return [...args, "--validation", join(dir, "hidden.jsonl")];
}

describe("a newcomer's first hour", () => {
  it("a hidden set with user turns only is refused at task create: nothing to score is never a perfect score", async () => {
    const io = bufferIo();
    const hidden = formatShareGpt([{ conversations: [{ role: "user", content: "What is 2 + 2?" }] }]);
    const code = await main(["--home", tempRoot(), "task", "create", ...taskFiles(hidden)], io, {
      signal: never,
    });
    expect(code).toBe(1);
    expect(io.err()).toContain("error TASK_VALIDATION_NOTHING_SCORED:");
    expect(io.err()).toContain("hint: give hidden conversations with assistant replies");
  });

  it("malformed JSONL: the error names each bad line and what is wrong with it, also in --json", async () => {
    const hidden =
      '{"conversations":[{"role":"user","content":"hi"}]}\nnot json\n{"conversations":[{"role":"robot","content":"x"}]}\n';
    const io = bufferIo();
    expect(
      await main(["--home", tempRoot(), "task", "create", ...taskFiles(hidden)], io, { signal: never }),
    ).toBe(1);
    expect(io.err()).toContain("error TASK_DATA_INVALID:");
    expect(io.err()).toContain("line 2: not valid JSON");
    expect(io.err()).toContain('line 3: conversations[0] has unknown role "robot"');
    const json = bufferIo();
    expect(
      await main(["--home", tempRoot(), "--json", "task", "create", ...taskFiles(hidden)], json, {
        signal: never,
      }),
    ).toBe(1);
    const error = (
      JSON.parse(json.out()) as { error: { code: string; details: { problems: { line: number }[] } } }
    ).error;
    expect(error.code).toBe("TASK_DATA_INVALID");
    expect(error.details.problems.map((p) => p.line)).toEqual([2, 3]);
  });

  it("one default account for every command, shown by whoami and changed by use", async () => {
    const home = ensureHome(tempRoot());
    writeDevKeys(home, devAccounts(10));
    const who = bufferIo();
    expect(await main(["--home", home.root, "--json", "whoami"], who, { signal: never })).toBe(0);
    expect(JSON.parse(who.out())).toMatchObject({ account: "ada", isDefault: true });
    expect(await main(["--home", home.root, "use", "bo"], bufferIo(), { signal: never })).toBe(0);
    const after = bufferIo();
    expect(await main(["--home", home.root, "--json", "whoami"], after, { signal: never })).toBe(0);
    expect(JSON.parse(after.out())).toMatchObject({ account: "bo", isDefault: true });
    // Rewriting the dev keys (the next `flock up`) keeps the chosen default.
    writeDevKeys(home, devAccounts(10));
    const kept = bufferIo();
    await main(["--home", home.root, "--json", "whoami"], kept, { signal: never });
    expect(JSON.parse(kept.out())).toMatchObject({ account: "bo" });
    const unknown = bufferIo();
    expect(await main(["--home", home.root, "use", "zed"], unknown, { signal: never })).toBe(1);
    expect(unknown.err()).toContain("error ACCOUNT_UNKNOWN:");
  });

  it("wording: no arguments prints help without an error line; a bogus status names the valid ones", async () => {
    const bare = bufferIo();
    expect(await main([], bare, { signal: never })).toBe(2);
    expect(bare.out() + bare.err()).toContain("Usage: flock");
    expect(bare.err()).not.toMatch(/^error /m);
    const status = bufferIo();
    expect(
      await main(["--home", tempRoot(), "task", "list", "--status", "bogus"], status, { signal: never }),
    ).toBe(1);
    expect(status.err()).toContain('error TASK_STATUS_UNKNOWN: "bogus" is not a task status');
    expect(status.err()).toContain("open, validating, finalized, closed");
    const up = bufferIo();
    expect(await main(["--home", tempRoot(), "up", "--deadline", "300"], up, { signal: never })).toBe(2);
    expect(up.err()).toContain("add --demo");
  });

  it("a home whose own `flock up` died says to start it again, before any request times out", async () => {
    const home = ensureHome(tempRoot());
    writeDevKeys(home, devAccounts(10));
    // The network.json a killed `flock up` leaves behind: its process is gone.
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    writeFileSync(
      home.networkFile,
      JSON.stringify({
        apiUrl: "http://127.0.0.1:9",
        rpcUrl: "http://127.0.0.1:9",
        chainId: 31337,
        deploymentFile: join(home.chainDir, "deployment.json"),
        pid: gone,
      }),
    );
    const io = bufferIo();
    expect(await main(["--home", home.root, "balance"], io, { signal: never })).toBe(1);
    expect(io.err()).toContain(
      `error NETWORK_NOT_RUNNING: the network of the home ${home.root} stopped (its \`flock up\`, process ${gone}, is gone)`,
    );
    expect(io.err()).toContain(`hint: start it again with \`flock up --home ${home.root}\``);
  });
});
