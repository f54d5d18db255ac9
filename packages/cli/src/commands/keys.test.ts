import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONTRACT_NAMES } from "@flock/chain";
import { createLogger } from "@flock/core";
import { createApp, createChainGateway, type FlockApp } from "@flock/server";
import {
  createRepositories,
  type FlockDatabase,
  openArtifactStore,
  openDatabase,
  type Repositories,
} from "@flock/store";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureHome, type FlockHome } from "../home.ts";
import { bufferIo } from "../io.ts";
import { writeKeys } from "../keys.ts";
import { main } from "../main.ts";
import { writeNetworkInfo } from "../network/networkFile.ts";

const ADA = `0x${"a1".repeat(32)}` as const;
const BO = `0x${"b2".repeat(32)}` as const;

/**
 * `flock keys create|list|revoke` and `flock usage [--csv]` against a coordinator over real HTTP and PGlite
 * (API keys need signatures, not the chain: the gateway is never called).
 */
describe("flock keys and flock usage", () => {
  const root = mkdtempSync(join(tmpdir(), "flock-keys-"));
  let database: FlockDatabase;
  let repos: Repositories;
  let app: FlockApp;
  let home: FlockHome;

  beforeAll(async () => {
    database = await openDatabase({ dataDir: join(root, "coordinator") });
    repos = createRepositories(database.db);
    app = await createApp({
      db: database.db,
      repos,
      artifacts: openArtifactStore(undefined, { defaultFolder: join(root, "coordinator", "artifacts") }),
      chain: createChainGateway({
        rpcUrl: "http://127.0.0.1:9",
        chainId: 31337,
        addresses: Object.fromEntries(CONTRACT_NAMES.map((n) => [n, `0x${"00".repeat(19)}01`])) as never,
        coordinatorKey: `0x${"11".repeat(32)}`,
        startBlock: 0n,
      }),
      logger: createLogger("flock-keys-test", { level: "silent" }),
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
    writeKeys(home, { ada: ADA, bo: BO }, "ada");
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

  it("creates a key (secret printed once), lists it without the secret, shows its usage, revokes it", async () => {
    const created = await flock("--json", "keys", "create", "laptop", "--models", "flock/a, flock/b");
    expect(created.code, created.err).toBe(0);
    const { key, secret } = JSON.parse(created.out) as {
      key: { id: number; models: string[] };
      secret: string;
    };
    expect(secret).toMatch(/^flk_/);
    expect(key.models).toEqual(["flock/a", "flock/b"]);
    const human = await flock("keys", "create", "desk");
    expect(human.out).toMatch(/secret \(shown once, keep it safe\): flk_/);

    const list = await flock("keys", "list");
    expect(list.code, list.err).toBe(0);
    expect(list.out).toContain("laptop");
    expect(list.out).toContain("flock/a,flock/b");
    expect(list.out).not.toContain(secret);
    // bo has none of ada's keys, and cannot read their usage
    expect((await flock("keys", "list", "--account", "bo")).out).toContain("no API keys yet");
    const stolen = await flock("usage", String(key.id), "--account", "bo");
    expect(stolen.code).toBe(1);
    expect(stolen.err).toContain("error NOT_KEY_OWNER");

    const owner = (await repos.apiKeys.get(key.id)).owner;
    expect(owner).toBe(privateKeyToAccount(ADA).address.toLowerCase());
    await repos.usage.record({
      keyId: key.id,
      account: owner,
      model: "flock/a",
      modelId: null,
      promptTokens: 12,
      completionTokens: 30,
      cost: 72_000_000_000_000n,
      billing: "balance",
      createdAt: new Date(),
    });
    const usage = await flock("usage", String(key.id));
    expect(usage.code, usage.err).toBe(0);
    expect(usage.out).toContain("1 calls, 12 prompt + 30 completion tokens, 0.000072 FLOCK");
    // Without a key id: every key of the account (here one call in all).
    const all = await flock("usage");
    expect(all.code, all.err).toBe(0);
    expect(all.out).toContain("1 calls, 12 prompt + 30 completion tokens, 0.000072 FLOCK");
    const out = join(root, "usage.csv");
    const csv = await flock("usage", String(key.id), "--csv", "--out", out);
    expect(csv.code, csv.err).toBe(0);
    const lines = readFileSync(out, "utf8").split("\r\n");
    expect(lines[0]).toBe(
      "id,created_at,key_id,account,model,billing,prompt_tokens,completion_tokens,cost,epoch",
    );
    expect(lines[1]).toMatch(
      new RegExp(`^\\d+,[^,]+,${key.id},${owner},flock/a,balance,12,30,72000000000000,$`),
    );

    // Plans: listed with the prices; subscribing without the fee in the usage credit is refused
    await repos.plans.upsertPlan({
      name: "starter",
      fee: 10n ** 18n,
      periodSeconds: 3600,
      tokenQuota: 1000,
      requestsPerMinute: 10,
    });
    const plans = await flock("keys", "plans");
    expect(plans.code, plans.err).toBe(0);
    expect(plans.out).toMatch(/starter\s+1\s+3600 s\s+1000\s+10/);
    expect(plans.out).toContain("(any other)");
    const poor = await flock("keys", "subscribe", "starter");
    expect(poor.code).toBe(1);
    expect(poor.err).toContain("error CREDIT_BALANCE_TOO_LOW");
    await repos.credits.apply({
      kind: "deposited",
      account: owner,
      amount: 2n * 10n ** 18n,
      blockNumber: 1,
      logIndex: 0,
    });
    const subscribed = await flock("keys", "subscribe", "starter");
    expect(subscribed.code, subscribed.err).toBe(0);
    expect(subscribed.out).toContain("subscribed to starter until");

    const revoked = await flock("keys", "revoke", String(key.id));
    expect(revoked.code, revoked.err).toBe(0);
    expect(revoked.out).toContain(`revoked API key ${key.id} "laptop"`);
    const v1 = await fetch(`${JSON.parse(readFileSync(home.networkFile, "utf8")).apiUrl}/v1/models`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(v1.status).toBe(401);
  });
});
