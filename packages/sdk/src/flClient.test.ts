import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { contentId, REQUEST_SIGNING, requestDomain, type wire } from "@flock/core";
import { recoverTypedDataAddress, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFlockClient, FL_MAX_WAIT_MS } from "./client.ts";

const WAD = 10n ** 18n;
const VERIFIER = "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const;
const account = privateKeyToAccount(generatePrivateKey());
const MODEL = new TextEncoder().encode("safetensors of the global model");
const MODEL_ID = contentId(MODEL);

const task: wire.FlTask = {
  id: 7,
  title: "digits across hospitals",
  description: "",
  modelType: "classifier",
  baseModel: MODEL_ID as wire.ContentId,
  rounds: 3,
  roundSeconds: 60,
  minParticipants: 3,
  maxParticipants: 10,
  joinDeadline: "2026-12-02T18:00:00.000Z",
  endTime: "2026-12-02T18:03:00.000Z",
  rewardWeight: "0",
  pool: (300n * WAD).toString(),
  remainingPool: (200n * WAD).toString(),
  approvedWeight: null,
  minStake: (100n * WAD).toString(),
  minLockDays: 0,
  strategy: { name: "fedavg" },
  privacy: { mode: "plain" },
  payRule: "stake",
  proposerFractionBps: 5000,
  trainConfig: { learningRate: 0.1, localEpochs: 2 },
  status: "running",
  acceptedRounds: 1,
  currentRound: 2,
  globalModel: MODEL_ID as wire.ContentId,
  participants: 3,
  creator: account.address.toLowerCase() as wire.Address,
  createdAt: "2026-12-02T17:50:00.000Z",
};

const round: wire.FlRound = {
  taskId: 7,
  round: 1,
  status: "accepted",
  seed: `0x${"ab".repeat(32)}` as wire.Hash32,
  seedBlock: 12,
  startedAt: "2026-12-02T18:00:00.000Z",
  deadline: "2026-12-02T18:01:00.000Z",
  proposers: [{ account: `0x${"11".repeat(20)}` as wire.Address, stake: (100n * WAD).toString() }],
  voters: [
    {
      account: `0x${"22".repeat(20)}` as wire.Address,
      stake: (150n * WAD).toString(),
      vote: 1,
      metrics: { candidateLoss: 0.5, globalLoss: 0.7 },
    },
  ],
  baseModel: MODEL_ID as wire.ContentId,
  candidateModel: MODEL_ID as wire.ContentId,
  contributors: [`0x${"11".repeat(20)}` as wire.Address],
  updaters: [`0x${"11".repeat(20)}` as wire.Address],
  tally: (150n * WAD).toString(),
  rewards: [{ account: `0x${"11".repeat(20)}` as wire.Address, amount: "40" }],
  slashes: [],
  metrics: {},
  reason: null,
};

interface Seen {
  method: string;
  path: string;
  body: string;
  signer?: string;
}

/** The account that signed a request, recovered as the coordinator does (or undefined when unsigned). */
async function signerOf(request: IncomingMessage, body: Buffer): Promise<string | undefined> {
  const h = REQUEST_SIGNING.headers;
  const signature = request.headers[h.signature];
  if (typeof signature !== "string") return undefined;
  return recoverTypedDataAddress({
    domain: requestDomain(31337, VERIFIER),
    types: REQUEST_SIGNING.types,
    primaryType: REQUEST_SIGNING.primaryType,
    message: {
      method: request.method!,
      path: request.url!,
      bodyHash: sha256(new Uint8Array(body)),
      timestamp: BigInt(request.headers[h.timestamp] as string),
      nonce: request.headers[h.nonce] as `0x${string}`,
    },
    signature: signature as `0x${string}`,
  });
}

describe("the SDK's fl namespace against a coordinator speaking the FL routes", () => {
  let server: Server;
  let baseUrl = "";
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", async () => {
        const body = Buffer.concat(chunks);
        const signer = await signerOf(request, body);
        seen.push({
          method: request.method!,
          path: request.url!,
          body: body.toString(),
          ...(signer === undefined ? {} : { signer }),
        });
        const url = new URL(request.url!, "http://x");
        const json = (status: number, value: unknown) => {
          response.writeHead(status, { "content-type": "application/json" });
          response.end(JSON.stringify(value));
        };
        const route = `${request.method} ${url.pathname}`;
        if (route === "POST /fl/tasks") return json(201, { ...task, status: "draft" });
        if (route === "GET /fl/tasks") return json(200, { tasks: [task] });
        if (route === "GET /fl/tasks/7") return json(200, task);
        if (route === "GET /fl/tasks/8") {
          return json(404, { code: "TASK_NOT_FOUND", kind: "NotFoundError", message: "no task 8" });
        }
        if (route === "POST /fl/tasks/7/open") return json(200, { ...task, status: "open" });
        if (route === "POST /fl/tasks/7/join") {
          return json(200, {
            account: account.address.toLowerCase(),
            stake: (120n * WAD).toString(),
            joinedAt: "2026-12-02T17:55:00.000Z",
            missed: 0,
          });
        }
        if (route === "GET /fl/tasks/7/participants") return json(200, { participants: [] });
        if (route === "GET /fl/tasks/7/rounds") return json(200, { rounds: [round] });
        if (route === "GET /fl/tasks/7/rounds/1") return json(200, round);
        if (route === "GET /fl/tasks/7/messages") {
          // A long poll with nothing to send: held until the client gives up.
          if (url.searchParams.get("waitMs") === "1234") return;
          return json(200, { messages: [], taskStatus: "running", currentRound: 2 });
        }
        if (route === "POST /fl/tasks/7/messages/31/reply") return json(200, { accepted: true });
        if (route === `GET /fl/tasks/7/arrays/${MODEL_ID}`) {
          response.writeHead(200, { "content-type": "application/octet-stream" });
          return response.end(MODEL);
        }
        if (route.startsWith("GET /fl/tasks/7/arrays/")) {
          response.writeHead(200, { "content-type": "application/octet-stream" });
          return response.end("other bytes");
        }
        json(404, { code: "NOT_FOUND", message: route });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const client = () => createFlockClient({ baseUrl, account, chainId: 31337, requestVerifier: VERIFIER });
  const last = () => seen[seen.length - 1]!;

  it("creates a federated task signed by its creator, amounts as decimal strings, and opens it", async () => {
    const created = await client().fl.create({
      title: "digits across hospitals",
      description: "",
      modelType: "classifier",
      baseModel: MODEL_ID,
      rounds: 3,
      roundSeconds: 60,
      minParticipants: 3,
      maxParticipants: 10,
      joinDeadline: new Date("2026-12-02T18:00:00Z"),
      rewardWeight: 0n,
      pool: 300n * WAD,
      minStake: 100n * WAD,
      minLockDays: 0,
      strategy: { name: "fedavg" },
      privacy: { mode: "plain" },
      payRule: "stake",
      trainConfig: { learningRate: 0.1 },
    });
    expect(created).toMatchObject({ id: 7, status: "draft", pool: 300n * WAD, approvedWeight: null });
    expect(last().signer).toBe(account.address);
    expect(JSON.parse(last().body)).toMatchObject({
      joinDeadline: "2026-12-02T18:00:00.000Z",
      pool: (300n * WAD).toString(),
      minStake: (100n * WAD).toString(),
      rewardWeight: "0",
    });
    expect((await client().fl.open(7)).status).toBe("open");
    expect(last()).toMatchObject({ method: "POST", path: "/fl/tasks/7/open", signer: account.address });
  });

  it("reads tasks, participants and rounds with amounts as bigint", async () => {
    const reader = createFlockClient({ baseUrl });
    expect((await reader.fl.list()).map((t) => [t.id, t.remainingPool])).toEqual([[7, 200n * WAD]]);
    expect(await reader.fl.get(7)).toMatchObject({ minStake: 100n * WAD, currentRound: 2 });
    expect(last().signer).toBeUndefined();
    expect(await reader.fl.participants(7)).toEqual([]);
    const [first] = await reader.fl.rounds(7);
    expect(first).toMatchObject({
      tally: 150n * WAD,
      proposers: [{ stake: 100n * WAD }],
      voters: [{ stake: 150n * WAD, vote: 1 }],
      rewards: [{ amount: 40n }],
    });
    expect(await reader.fl.round(7, 1)).toEqual(first);
    await expect(reader.fl.get(8)).rejects.toMatchObject({
      code: "TASK_NOT_FOUND",
      details: { httpStatus: 404 },
    });
  });

  it("joins with a signed request and no body", async () => {
    expect(await client().fl.join(7)).toMatchObject({ stake: 120n * WAD, missed: 0 });
    expect(last()).toMatchObject({
      method: "POST",
      path: "/fl/tasks/7/join",
      body: "",
      signer: account.address,
    });
  });

  it("long-polls messages signed, the wait capped at the coordinator's maximum, and stops on abort", async () => {
    expect(await client().fl.messages(7, { waitMs: 60_000 })).toEqual({
      messages: [],
      taskStatus: "running",
      currentRound: 2,
    });
    expect(last()).toMatchObject({
      path: `/fl/tasks/7/messages?waitMs=${FL_MAX_WAIT_MS}`,
      signer: account.address,
    });

    const controller = new AbortController();
    const held = client()
      .fl.messages(7, { signal: controller.signal, waitMs: 1234 })
      .catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort(new Error("stopped by the participant"));
    expect(await held).toMatchObject({ message: "stopped by the participant" });
  });

  it("replies to a message with a signed body", async () => {
    const reply = { evaluation: { numExamples: 12, metrics: { loss: 0.3 } } };
    expect(await client().fl.reply(7, 31, reply)).toEqual({ accepted: true });
    expect(last()).toMatchObject({
      method: "POST",
      path: "/fl/tasks/7/messages/31/reply",
      signer: account.address,
    });
    expect(JSON.parse(last().body)).toEqual(reply);
  });

  it("downloads arrays checked against their content id", async () => {
    expect(await client().fl.arrays(7, MODEL_ID)).toEqual(MODEL);
    const swapped = contentId("the bytes that were asked for");
    await expect(client().fl.arrays(7, swapped)).rejects.toMatchObject({
      code: "FL_ARRAYS_HASH_MISMATCH",
      details: { expected: swapped, actual: contentId("other bytes") },
    });
  });
});
