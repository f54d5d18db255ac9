import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { approve, devAccounts, type LocalChain, lockFlock, stake, startLocalChain } from "@flock/chain";
import { chromiumAvailability } from "@flock/core/testing";
import { createRng, formatTabularCsv, initTabularMlp } from "@flock/engine";
import { writeTabularModel } from "@flock/engine/io";
import {
  FlParticipantStateStore,
  type FlProgress,
  flShards,
  memoryFlParticipantState,
  runFlParticipant,
  shardModelSpec,
  type TabularFlApp,
  tabularFlApp,
} from "@flock/node";
import { createFlockClient } from "@flock/sdk";
import type { Browser, BrowserContext } from "playwright-core";
import type { TypedDataDefinition } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFlWeb } from "./build.ts";

const chromium = chromiumAvailability();
if (chromium.kind === "missing" && chromium.required) throw new Error(chromium.message);

// The coordinator runs in its own process (PGlite, the real chain gateway over anvil, the real clock) and
// serves the page; the participants lock FLOCK and stake on-chain as their wallets would.
const SERVER = fileURLToPath(new URL("../../server/src/testing/chainCoordinator.ts", import.meta.url));
const WAD = 10n ** 18n;
/** The local chain's dev accounts: 0 deploys (an operator); 3–9 hold FLOCK. */
const DEV = devAccounts(6);
const OPERATOR = privateKeyToAccount(DEV[0]!.privateKey);
/** Signs in the first page (picked there as "Dev account 3"). */
const DEV_3 = privateKeyToAccount(DEV[3]!.privateKey);
/** The second page's injected wallet holds dev account 4's key on the Node side. */
const WALLET = privateKeyToAccount(DEV[4]!.privateKey);
const NODE = privateKeyToAccount(DEV[5]!.privateKey);
const ROUNDS = 3;

const shards = flShards({ dataset: "digits", parts: 3, seed: 11 });
const spec = shardModelSpec(shards, [16]);
const csvOf = (i: number) => ({
  train: formatTabularCsv(shards.parts[i]!.train),
  test: formatTabularCsv(shards.parts[i]!.test),
});

/** A context that lets only loopback requests through and records every request body its pages send. */
async function loopbackContext(browser: Browser) {
  const context = await browser.newContext();
  const blocked: string[] = [];
  const bodies: string[] = [];
  await context.route("**/*", (route) => {
    const request = route.request();
    const body = request.postDataBuffer();
    if (body !== null) bodies.push(body.toString("latin1"));
    const url = new URL(request.url());
    if (["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) return route.continue();
    blocked.push(url.href);
    return route.abort();
  });
  return { context, blocked, bodies };
}

/** `window.ethereum` in the page, signing typed data through a Node-side key (a wallet extension's role). */
async function installWallet(context: BrowserContext, signatures: string[]) {
  await context.exposeFunction("__walletSignTypedData", async (address: string, json: string) => {
    if (address.toLowerCase() !== WALLET.address.toLowerCase()) throw new Error(`unknown account ${address}`);
    const typed = JSON.parse(json) as {
      domain: Record<string, unknown>;
      types: Record<string, { name: string; type: string }[]>;
      primaryType: string;
      message: Record<string, unknown>;
    };
    const { EIP712Domain: _, ...types } = typed.types;
    const message: Record<string, unknown> = { ...typed.message };
    for (const field of types[typed.primaryType] ?? []) {
      if (/^u?int\d*$/.test(field.type)) message[field.name] = BigInt(message[field.name] as string);
    }
    const signature = await WALLET.signTypedData({
      domain: typed.domain,
      types,
      primaryType: typed.primaryType,
      message,
    } as unknown as TypedDataDefinition);
    signatures.push(signature);
    return signature;
  });
  await context.addInitScript((address: string) => {
    const w = globalThis as unknown as Record<string, unknown> & {
      __walletSignTypedData(address: string, json: string): Promise<string>;
    };
    w.ethereum = {
      async request({ method, params }: { method: string; params?: unknown[] }) {
        if (method === "eth_requestAccounts" || method === "eth_accounts") return [address];
        if (method === "eth_signTypedData_v4") {
          return w.__walletSignTypedData(params![0] as string, params![1] as string);
        }
        throw Object.assign(new Error(`unsupported method ${method}`), { code: 4200 });
      },
    };
  }, WALLET.address);
}

describe.skipIf(chromium.kind === "missing")("the browser FL client in Chromium", () => {
  let server: ChildProcessWithoutNullStreams;
  let chain: LocalChain | undefined;
  let baseUrl = "";
  let dir = "";
  let browser: Browser | undefined;
  const replies: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const line = replies.shift();
      if (line !== undefined) resolve(line);
      else waiters.push(resolve);
    });
  const apps: TabularFlApp[] = [];

  /** Lock FLOCK into gmFLOCK and stake it on the task as a trainer, from the participant's own account. */
  async function stakeOnChain(taskId: number, privateKey: `0x${string}`) {
    const client = chain!.clientFor(privateKey);
    const amount = 1000n * WAD;
    await approve(client, { token: "FLOCK", spender: "GmFlock", amount });
    const { lockId, gmAmount } = await lockFlock(client, { amount, days: 0 });
    await approve(client, { token: "gmFLOCK", spender: "TaskStaking", amount: gmAmount });
    await stake(client, { taskId: BigInt(taskId), role: "trainer", amount: gmAmount, lockId });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "flock-flweb-"));
    const [flWebDir, started] = await Promise.all([
      buildFlWeb({ outDir: join(dir, "flweb") }),
      startLocalChain({ dataDir: join(dir, "chain") }),
    ]);
    chain = started;
    const options = {
      dataDir: join(dir, "coordinator"),
      rpcUrl: chain.rpcUrl,
      deployment: join(dir, "chain", "deployment.json"),
      coordinatorKey: chain.roles.coordinator.privateKey,
      config: { flPollMs: 100, schedulerPollMs: 100, indexerPollMs: 200, epochLengthMs: 0 },
      flWebDir,
    };
    server = spawn(process.execPath, [SERVER, JSON.stringify(options)], { stdio: ["pipe", "pipe", "pipe"] });
    server.stderr.on("data", (chunk) => process.stderr.write(chunk));
    createInterface({ input: server.stdout }).on("line", (line) => {
      const waiter = waiters.shift();
      if (waiter !== undefined) waiter(line);
      else replies.push(line);
    });
    baseUrl = (JSON.parse(await nextLine()) as { url: string }).url;
    const { chromium: launcher } = await import("playwright-core");
    browser = await launcher.launch({
      executablePath: (chromium as { executablePath: string }).executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const app of apps) await app.release();
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.stdin.end();
      await exited;
    }
    await chain?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves the page, its script and the WASM runtime with their content types", async () => {
    const page = await fetch(`${baseUrl}/fl/join/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<label for="train-file">');
    const script = await fetch(`${baseUrl}/fl/join/app.js`);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    const wasm = await fetch(`${baseUrl}/fl/join/ort-wasm-simd-threaded.wasm`);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
    expect((await wasm.arrayBuffer()).byteLength).toBeGreaterThan(1_000_000);
    const redirect = await fetch(`${baseUrl}/fl/join`, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get("location")).toBe("/fl/join/");
    for (const bad of ["..%2F..%2Fpackage.json", "missing.js", ".hidden.js", "build.ts"]) {
      const response = await fetch(`${baseUrl}/fl/join/${bad}`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as { code: string }).code).toBe("FL_WEB_FILE_NOT_FOUND");
    }
  });

  it(`two browser participants (a dev key, an injected wallet) and a Node participant finish ${ROUNDS} SecAgg+ rounds; no CSV row leaves the pages`, async () => {
    // The two browser participants, each in its own context (storage, wallet), with its files from a temp
    // folder; the pages are ready before the task exists, so the join window only has to cover the joins.
    const signatures: string[] = [];
    const errors: string[] = [];
    const pages = await Promise.all(
      (["dev-3", "wallet"] as const).map(async (key, i) => {
        const { context, blocked, bodies } = await loopbackContext(browser!);
        if (key === "wallet") await installWallet(context, signatures);
        const page = await context.newPage();
        page.on("pageerror", (error) => errors.push(String(error)));
        const csv = csvOf(i);
        const train = join(dir, `party-${i}-train.csv`);
        const test = join(dir, `party-${i}-test.csv`);
        await writeFile(train, csv.train);
        await writeFile(test, csv.test);
        await page.goto(`${baseUrl}/fl/join/`);
        await page.getByLabel("Sign with").selectOption(key);
        await page.getByLabel("Training CSV").setInputFiles(train);
        await page.getByLabel("Test CSV").setInputFiles(test);
        const rows = [...csv.train.split("\n").slice(1), ...csv.test.split("\n").slice(1)].filter(
          (r) => r !== "",
        );
        return { page, blocked, bodies, rows };
      }),
    );

    const creator = createFlockClient({ baseUrl, account: OPERATOR });
    const baseModel = writeTabularModel(spec, initTabularMlp(spec.config, createRng(5)));
    const baseId = (await creator.artifacts.publish(baseModel)).id;
    const task = await creator.fl.create({
      title: "digits across two browsers and a server",
      description: "",
      modelType: "classifier",
      baseModel: baseId,
      rounds: ROUNDS,
      roundSeconds: 60,
      minParticipants: 3,
      maxParticipants: 3,
      joinDeadline: new Date(Date.now() + 12_000),
      rewardWeight: 1n,
      minStake: 100n * WAD,
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy: { mode: "secagg" },
      payRule: "stake",
      proposerFractionBps: 6667,
      trainConfig: { learningRate: 0.1, localEpochs: 2, batchSize: 32 },
    });
    expect(task.status).toBe("open");
    await Promise.all([3, 4, 5].map((index) => stakeOnChain(task.id, DEV[index]!.privateKey)));
    type PageState = { status: string; account: string; events: FlProgress[]; error?: unknown };
    await Promise.all(
      pages.map(async ({ page }) => {
        await page.getByLabel("Task id").fill(String(task.id));
        await page.getByRole("button", { name: "Join" }).click();
      }),
    );

    // The Node participant: the same loop with the Node runtime (onnxruntime-node, node:crypto primitives).
    const nodeCsv = csvOf(2);
    const app = tabularFlApp({ trainCsv: nodeCsv.train, testCsv: nodeCsv.test, spec, seed: 2 });
    apps.push(app);
    const nodeEvents: FlProgress[] = [];
    const address = NODE.address.toLowerCase();
    const nodeRun = runFlParticipant({
      client: createFlockClient({ baseUrl, account: NODE }),
      account: address,
      taskId: task.id,
      app,
      state: new FlParticipantStateStore(memoryFlParticipantState(), task.id, address),
      onProgress: (p) => nodeEvents.push(p),
      waitMs: 2000,
    });

    const finished = pages.map(({ page }) =>
      page
        .waitForFunction(
          () =>
            ["finished", "failed"].includes((globalThis as unknown as { __flock: PageState }).__flock.status),
          undefined,
          { timeout: 150_000, polling: 250 },
        )
        .then(() => page.evaluate(() => (globalThis as unknown as { __flock: PageState }).__flock)),
    );
    const [nodeResult, ...pageStates] = await Promise.all([nodeRun, ...finished]);

    expect(errors).toEqual([]);
    for (const state of pageStates) expect(state.error).toBeUndefined();
    const reader = createFlockClient({ baseUrl });
    const final = await reader.fl.get(task.id);
    const rounds = await reader.fl.rounds(task.id);
    expect(["finished", "closed"]).toContain(nodeResult.taskStatus);
    expect(["finished", "closed"]).toContain(final.status);
    expect(final.participants).toBe(3);
    // The three joined with the stakes they locked and staked on-chain (read by the coordinator's indexer).
    const participants = await reader.fl.participants(task.id);
    expect(participants.map((p) => p.account.toLowerCase()).sort()).toEqual(
      [DEV_3.address, WALLET.address, NODE.address].map((a) => a.toLowerCase()).sort(),
    );
    for (const p of participants) expect(BigInt(p.stake)).toBeGreaterThanOrEqual(100n * WAD);
    // Three SecAgg+ rounds ran to a decision. Roles come from block hashes, so the one voter of a round may vote
    // its candidate down on its own test data: every round is decided, and most are accepted.
    expect(rounds.length).toBeGreaterThanOrEqual(ROUNDS);
    for (const round of rounds) expect(["accepted", "rejected"]).toContain(round.status);
    const accepted = rounds.filter((r) => r.status === "accepted");
    expect(accepted.length).toBeGreaterThanOrEqual(ROUNDS - 1);
    expect(nodeEvents.filter((e) => e.type === "failed")).toEqual([]);

    for (const [i, state] of pageStates.entries()) {
      expect(state.error).toBeUndefined();
      expect(state.status).toBe("finished");
      const answered = state.events.filter((e) => e.type === "answered");
      expect(state.events.filter((e) => e.type === "failed")).toEqual([]);
      // A role in every accepted round: the SecAgg+ stages as a proposer (training inside masked-input) or
      // the vote (commit and reveal) as the voter.
      for (const round of accepted) {
        const mine = answered.filter((e) => e.round === round.round).map((e) => e.stage);
        const voter = round.voters.some((v) => v.account === state.account);
        expect(mine).toEqual(
          expect.arrayContaining(voter ? ["vote-commit", "vote-reveal"] : ["masked-input", "unmask"]),
        );
      }
      expect(state.account).toBe((i === 0 ? DEV_3.address : WALLET.address).toLowerCase());
      // The page made no request beyond loopback, and no request body carried one of its CSV rows.
      const { blocked, bodies, rows } = pages[i]!;
      expect(blocked).toEqual([]);
      expect(bodies.length).toBeGreaterThan(ROUNDS);
      const leaked = rows.filter((row) => bodies.some((body) => body.includes(row)));
      expect(leaked).toEqual([]);
    }
    // Each accepted round had one voter, so a browser trained (inside SecAgg+'s masked-input) in every one.
    for (const round of accepted) {
      const trainedInPage = pageStates.some((state) =>
        state.events.some(
          (e) => e.type === "answered" && e.round === round.round && e.stage === "masked-input",
        ),
      );
      expect(trainedInPage).toBe(true);
    }
    // The wallet page signed every request through window.ethereum.
    expect(signatures.length).toBeGreaterThan(ROUNDS);
    // Each page kept its participant state (answered messages, committed votes) in its own localStorage.
    for (const [i, { page }] of pages.entries()) {
      const stored = await page.evaluate(
        (key) =>
          (
            globalThis as unknown as { localStorage: { getItem(k: string): string | null } }
          ).localStorage.getItem(key),
        `flock-fl:${baseUrl}:${task.id}:${pageStates[i]!.account}`,
      );
      expect(JSON.parse(stored!)).toMatchObject({
        taskId: task.id,
        joined: true,
        account: pageStates[i]!.account,
      });
    }
  }, 180_000);

  it("refuses clearly in the page: no stake (the coordinator's STAKE_REQUIRED), no file, a malformed key", async () => {
    const creator = createFlockClient({ baseUrl, account: OPERATOR });
    const baseModel = writeTabularModel(spec, initTabularMlp(spec.config, createRng(6)));
    const task = await creator.fl.create({
      title: "a task nobody here staked on",
      description: "",
      modelType: "classifier",
      baseModel: (await creator.artifacts.publish(baseModel)).id,
      rounds: 1,
      roundSeconds: 60,
      minParticipants: 2,
      maxParticipants: 2,
      joinDeadline: new Date(Date.now() + 60_000),
      rewardWeight: 1n,
      minStake: 100n * WAD,
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy: { mode: "plain" },
      payRule: "stake",
    });
    const { context, blocked, bodies } = await loopbackContext(browser!);
    const page = await context.newPage();
    const csv = csvOf(0);
    const train = join(dir, "refusals-train.csv");
    await writeFile(train, csv.train);
    type PageState = { status: string; error?: { code: string; message: string; hint?: string } };
    const failure = async () => {
      await page.getByRole("button", { name: "Join" }).click();
      await page.waitForFunction(
        () => (globalThis as unknown as { __flock: PageState }).__flock.status === "failed",
        undefined,
        { timeout: 20_000 },
      );
      const state = await page.evaluate(() => (globalThis as unknown as { __flock: PageState }).__flock);
      expect(await page.locator("#status").getAttribute("data-status")).toBe("failed");
      return state.error!;
    };
    await page.goto(`${baseUrl}/fl/join/?task=${task.id}`);
    expect(await page.getByLabel("Task id").inputValue()).toBe(String(task.id));

    // No test file picked: refused in the page before anything is sent.
    await page.getByLabel("Training CSV").setInputFiles(train);
    expect(await failure()).toMatchObject({ code: "FL_WEB_FILE_MISSING" });
    await page.getByLabel("Test CSV").setInputFiles(train);

    // A typed key that is not one.
    await page.getByLabel("Sign with").selectOption("private-key");
    await page.getByLabel("Private key (0x and 64 hex digits)").fill("0x1234");
    expect(await failure()).toMatchObject({ code: "FL_WEB_KEY_MALFORMED" });

    // Dev account 6 holds FLOCK but staked nothing on this task: the coordinator refuses the join.
    await page.getByLabel("Sign with").selectOption("dev-6");
    const refused = await failure();
    expect(refused.code).toBe("STAKE_REQUIRED");
    expect(refused.hint).toBeTruthy();
    expect(await page.locator("#status").textContent()).toContain("STAKE_REQUIRED");
    const participants = await createFlockClient({ baseUrl }).fl.participants(task.id);
    expect(participants).toEqual([]);
    expect(blocked).toEqual([]);
    const rows = csv.train
      .split("\n")
      .slice(1)
      .filter((r) => r !== "");
    expect(rows.filter((row) => bodies.some((body) => body.includes(row)))).toEqual([]);
    await context.close();
  }, 60_000);
});
