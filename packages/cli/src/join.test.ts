import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { contentId } from "@flock/core";
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

const never = new AbortController().signal;

// A participant in its own home joins a network another home runs: everything it needs comes over HTTP
// (the deployment from GET /network, public artifacts from /artifacts) and the chain's JSON-RPC.
describe("flock join: a participant home on a network it does not run", () => {
  const roots: string[] = [];
  let network: EmbeddedNetwork;
  let networkHome: string;
  let participantHome: string;

  beforeAll(async () => {
    networkHome = mkdtempSync(join(tmpdir(), "flock-join-network-"));
    participantHome = mkdtempSync(join(tmpdir(), "flock-join-participant-"));
    roots.push(networkHome, participantHome);
    // Listening on loopback, advertised by name: what GET /network gives out is the name, not the address.
    network = await startEmbeddedNetwork({ home: ensureHome(networkHome), advertise: "localhost" });
  });
  afterAll(async () => {
    await network?.stop();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it("joins from the API URL alone, then creates a task whose inputs it publishes over HTTP", async () => {
    const joined = bufferIo();
    const apiByName = network.apiUrl.replace("127.0.0.1", "localhost");
    expect(
      await main(["--home", participantHome, "--json", "join", apiByName, "--dev-keys"], joined, {
        signal: never,
      }),
    ).toBe(0);
    expect(JSON.parse(joined.out())).toMatchObject({
      apiUrl: apiByName,
      rpcUrl: network.chain.rpcUrl.replace("127.0.0.1", "localhost"),
      chainId: 31337,
      devKeys: 10,
    });

    const balance = bufferIo();
    expect(
      await main(["--home", participantHome, "--json", "balance", "ada", "--account", "ada"], balance, {
        signal: never,
      }),
    ).toBe(0);
    expect(BigInt(JSON.parse(balance.out()).flock)).toBeGreaterThan(0n);

    const files = join(participantHome, "inputs");
    const tiny = llamaConfig({ hiddenSize: 16, numLayers: 1, numHeads: 2, vocabSize: 261, maxPositions: 64 });
    const base = encodeBaseModel({ config: tiny, params: initLlamaParameters(tiny, createRng(3)) });
    const conversations = (seed: number) =>
      new TextEncoder().encode(
        formatShareGpt(generateInstructionDataset({ seed, count: 4 }).map((e) => e.conversation)),
      );
    const train = conversations(1);
    const hidden = conversations(2);
    mkdirSync(files);
    for (const [name, bytes] of [
      ["base.bin", base],
      ["train.jsonl", train],
      ["hidden.jsonl", hidden],
      ["garbage.bin", new TextEncoder().encode("not a model")],
    ] as const) {
      writeFileSync(join(files, name), bytes);
    }
    const created = bufferIo();
    const code = await main(
      [
        "--home",
        participantHome,
        "--json",
        "task",
        "create",
        "--account",
        "ada",
        "--title",
        "joined",
        "--base-model",
        join(files, "base.bin"),
        "--train",
        join(files, "train.jsonl"),
        "--validation",
        join(files, "hidden.jsonl"),
        "--context-length",
        "64",
      ],
      created,
      { signal: never },
    );
    expect(created.err()).not.toContain("error");
    expect(code, created.out()).toBe(0);
    const task = JSON.parse(created.out());
    expect(task).toMatchObject({ baseModel: contentId(base), trainingSetId: contentId(train) });

    // The coordinator serves the published inputs to anyone; the hidden set stays sealed.
    const served = await fetch(`${network.apiUrl}/artifacts/${contentId(base)}`);
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(base);
    expect((await fetch(`${network.apiUrl}/artifacts/${contentId(hidden)}`)).status).toBe(404);
    // Nothing went through the participant's own artifact folder.
    expect(readdirSync(join(participantHome, "artifacts"))).toEqual([]);
  });

  it("a home that runs a network cannot join another, and a bad URL is refused with a hint", async () => {
    const io = bufferIo();
    expect(await main(["--home", networkHome, "join", network.apiUrl], io, { signal: never })).toBe(1);
    expect(io.err()).toContain("error HOME_RUNS_NETWORK:");
    const bad = bufferIo();
    expect(await main(["--home", participantHome, "join", "not a url"], bad, { signal: never })).toBe(1);
    expect(bad.err()).toContain("error API_URL_INVALID:");
    expect(bad.err()).toContain("hint:");
    const args = ["--home", participantHome, "task", "create", "--account", "ada", "--title", "x"];
    const inputs = join(participantHome, "inputs");
    // Inputs are checked before anything is published: a file that is no base model, a context longer than
    // the model's, a training set that is not ShareGPT JSONL.
    const refusals: [string[], string][] = [
      [["--base-model", join(inputs, "garbage.bin")], "TASK_BASE_MODEL_INVALID"],
      [["--base-model", join(inputs, "base.bin"), "--context-length", "65"], "TASK_CONTEXT_TOO_LONG"],
      [
        [
          "--base-model",
          join(inputs, "base.bin"),
          "--context-length",
          "64",
          "--train",
          join(inputs, "garbage.bin"),
        ],
        "TASK_DATA_INVALID",
      ],
    ];
    for (const [extra, code] of refusals) {
      const refused = bufferIo();
      const argv = [
        ...args,
        "--train",
        join(inputs, "train.jsonl"),
        "--validation",
        join(inputs, "hidden.jsonl"),
      ];
      expect(await main([...argv, ...extra], refused, { signal: never }), code).toBe(1);
      expect(refused.err()).toContain(`error ${code}:`);
      expect(refused.err()).toContain("hint:");
    }
    expect((await fetch(`${network.apiUrl}/artifacts/${contentId("not a model")}`)).status).toBe(404);

    // A base model named by an id the coordinator does not publish is refused before anything is posted.
    const unpublished = bufferIo();
    expect(
      await main(
        [
          ...args,
          "--base-model",
          contentId("never published"),
          "--train",
          join(inputs, "train.jsonl"),
          "--validation",
          join(inputs, "hidden.jsonl"),
        ],
        unpublished,
        { signal: never },
      ),
    ).toBe(1);
    expect(unpublished.err()).toContain("error BASE_MODEL_NOT_PUBLISHED:");
    expect(unpublished.err()).toContain("hint: pass the model's file with --base-model FILE");
  });

  // Last: it stops the network for good.
  it("follows the network when it restarts with its chain elsewhere; with the coordinator gone too, says to join again", async () => {
    const follower = mkdtempSync(join(tmpdir(), "flock-join-follower-"));
    roots.push(follower);
    const cli = async (...argv: string[]) => {
      const io = bufferIo();
      const code = await main(["--home", follower, ...argv], io, { signal: never });
      return { code, out: io.out(), err: io.err() };
    };
    expect((await cli("join", network.apiUrl, "--dev-keys")).code).toBe(0);
    const before = (await cli("--json", "balance", "ada")).out;
    const apiPort = Number(new URL(network.apiUrl).port);
    // What GET /network gives out: the chain at the advertised name.
    const advertised = (url: string) => url.replace("127.0.0.1", "localhost");
    const oldRpcUrl = advertised(network.chain.rpcUrl);

    // The network restarts on the same API port, but meanwhile something else took its chain's port.
    await network.stop();
    const squatter = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) =>
      squatter.listen({ port: Number(new URL(oldRpcUrl).port), host: "127.0.0.1" }, resolve),
    );
    try {
      network = await startEmbeddedNetwork({
        home: ensureHome(networkHome),
        port: apiPort,
        advertise: "localhost",
      });
      expect(network.apiUrl).toBe(`http://127.0.0.1:${apiPort}`);
      const newRpcUrl = advertised(network.chain.rpcUrl);
      expect(newRpcUrl).not.toBe(oldRpcUrl);

      // The joined home finds the chain where the coordinator says it is now, and keeps it.
      const followed = await cli("--json", "balance", "ada");
      expect(followed.code, followed.err).toBe(0);
      expect(followed.err).toContain(
        `the network's chain moved from ${oldRpcUrl} to ${newRpcUrl} (${network.apiUrl}/network says so); this home follows it`,
      );
      expect(JSON.parse(followed.out)).toEqual(JSON.parse(before));
      expect(JSON.parse(readFileSync(join(follower, "network.json"), "utf8")).rpcUrl).toBe(newRpcUrl);
      const again = await cli("balance", "ada");
      expect(again.code).toBe(0);
      expect(again.err).not.toContain("moved");
    } finally {
      await network.stop();
      await new Promise((resolve) => squatter.close(resolve));
    }

    // Chain and coordinator both gone: only a new `flock join` can tell where the network went.
    const lost = await cli("balance", "ada");
    expect(lost.code).toBe(1);
    expect(lost.err).toContain(
      `error NETWORK_UNREACHABLE: neither the chain at ${advertised(network.chain.rpcUrl)} nor the coordinator at ${network.apiUrl} answers`,
    );
    expect(lost.err).toContain(
      `hint: the network this home joined is down or has moved; once it runs again, join it anew with \`flock --home ${follower} join <its API URL>\` (it was ${network.apiUrl})`,
    );
  }, 120_000);
});
