import { contentId, REQUEST_SIGNING } from "@flock/core";
import { type Kysely, sql } from "kysely";
import { type Address, type Hex, type LocalAccount, sha256 } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { signedHeaders } from "../testing/signedHeaders.ts";
import { jsonText, pick, type Rng, random, urlSegment, valueFor } from "./fuzzValues.ts";

/**
 * A fuzzer for the coordinator's HTTP edge: requests generated from its own OpenAPI document (every
 * operation, parameters and bodies from their schemas, often hostile: extremes, wrong types, NUL and lone
 * surrogates, huge ids, raw `1e400`), signed well, badly, for another deployment or not at all, plus valid
 * signed requests replayed in every header encoding. It runs against a real coordinator on 127.0.0.1 and
 * reports what must never happen: a 5xx, a hang, an accepted replay, or a refused request that changed
 * the database.
 */

export interface FuzzTarget {
  /** The coordinator's base URL (loopback). */
  url: string;
  /** Its database, to count rows around refused requests. */
  db: Kysely<unknown>;
  chainId: number;
  requestVerifier: Address;
}

export interface FuzzOptions {
  count: number;
  seed: number;
  /** A request that takes longer is a hang. */
  timeoutMs: number;
  onProgress?: (done: number, report: FuzzReport) => void;
}

export interface FuzzFinding {
  method: string;
  path: string;
  status: number | "hang" | "network";
  detail: string;
}

export interface FuzzReport {
  requests: number;
  byStatus: Record<string, number>;
  serverErrors: FuzzFinding[];
  hangs: FuzzFinding[];
  acceptedReplays: FuzzFinding[];
  stateChanges: FuzzFinding[];
  /** Requests this process's fetch would not send (not counted as sent). */
  unsendable: number;
}

interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: string; schema?: Record<string, unknown> }[];
  jsonBody?: Record<string, unknown>;
  binaryBody: boolean;
  signed: boolean;
}

interface PreparedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
}

/** The operations of an OpenAPI document, as the fuzzer walks them. */
export function operationsOf(document: Record<string, unknown>): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
    for (const [method, raw] of Object.entries(methods)) {
      const operation = raw as Record<string, unknown>;
      const content = ((operation.requestBody as Record<string, unknown> | undefined)?.content ??
        {}) as Record<string, { schema?: Record<string, unknown> }>;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: (operation.parameters ?? []) as Operation["parameters"],
        ...(content["application/json"]?.schema === undefined
          ? {}
          : { jsonBody: content["application/json"].schema }),
        binaryBody: content["application/octet-stream"] !== undefined || method === "put",
        signed: Array.isArray(operation.security) && operation.security.length > 0,
      });
    }
  }
  return operations;
}

const TABLES = ["tasks", "submissions", "artifacts", "assignments", "scores", "epochs", "events", "jobs"];

async function rowCounts(db: Kysely<unknown>): Promise<string> {
  const selects = TABLES.map((table) => `(select count(*) from ${table}) as ${table}`).join(", ");
  const { rows } = await sql.raw(`select ${selects}`).execute(db);
  return JSON.stringify(rows[0]);
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The same signed request in every other spelling a lax verifier might take for a new one. */
export function replayEncodings(headers: Record<string, string>): [string, Record<string, string>][] {
  const h = REQUEST_SIGNING.headers;
  const nonce = headers[h.nonce]!;
  const signature = headers[h.signature]!;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = Number.parseInt(signature.slice(130), 16);
  const twin = `${signature.slice(0, 66)}${(N - s).toString(16).padStart(64, "0")}${(v === 27 ? 28 : 27).toString(16)}`;
  return [
    ["as sent", headers],
    ["upper-case nonce", { ...headers, [h.nonce]: `0x${nonce.slice(2).toUpperCase()}` }],
    ["upper-case address", { ...headers, [h.address]: `0x${headers[h.address]!.slice(2).toUpperCase()}` }],
    ["lower-case address", { ...headers, [h.address]: headers[h.address]!.toLowerCase() }],
    ["leading-zero timestamp", { ...headers, [h.timestamp]: `00${headers[h.timestamp]}` }],
    ["upper-case signature", { ...headers, [h.signature]: `0x${signature.slice(2).toUpperCase()}` }],
    ["high-s twin", { ...headers, [h.signature]: twin }],
    [
      "v as 0/1",
      { ...headers, [h.signature]: `${signature.slice(0, 130)}${(v - 27).toString(16).padStart(2, "0")}` },
    ],
  ];
}

async function prepare(
  operation: Operation,
  rng: Rng,
  target: FuzzTarget,
  accounts: LocalAccount[],
): Promise<PreparedRequest> {
  let path = operation.path;
  const query: string[] = [];
  for (const parameter of operation.parameters) {
    const value = valueFor(parameter.schema, rng);
    if (parameter.in === "path") path = path.replace(`{${parameter.name}}`, urlSegment(value));
    else if (parameter.in === "query" && rng() < 0.6) query.push(`${parameter.name}=${urlSegment(value)}`);
  }
  if (rng() < 0.05)
    query.push(`${pick(rng, ["x", "%00", "after"])}=${urlSegment(pick(rng, ["\u0000", "\ud800", "1e400"]))}`);
  const fullPath = query.length === 0 ? path : `${path}?${query.join("&")}`;
  const headers: Record<string, string> = {};
  let body: string | Uint8Array | undefined;
  let bodyHash: Hex | undefined;
  if (operation.jsonBody !== undefined) {
    body =
      rng() < 0.05
        ? pick(rng, ["{", "[]", "null", '{"a":1e400}', "\u0000"])
        : jsonText(valueFor(operation.jsonBody, rng));
    headers["content-type"] = "application/json";
    bodyHash = sha256(new TextEncoder().encode(body));
  } else if (operation.binaryBody && operation.method === "PUT") {
    body = crypto.getRandomValues(new Uint8Array(Math.floor(rng() * 256)));
    headers["content-type"] = "application/octet-stream";
    const id = /sha256%3A([0-9a-f]{64})|sha256:([0-9a-f]{64})/.exec(path);
    bodyHash = id === null ? sha256(body) : (`0x${id[1] ?? id[2]}` as Hex);
  }
  if (operation.signed || rng() < 0.1) {
    const mode = pick(rng, [
      "valid",
      "valid",
      "valid",
      "bad-signature",
      "other-deployment",
      "unsigned",
    ] as const);
    if (mode !== "unsigned") {
      const signed = await signedHeaders({
        account: pick(rng, accounts),
        chainId: target.chainId,
        verifyingContract:
          mode === "other-deployment" ? "0x5fbdb2315678afecb367f032d93f642f64180aa3" : target.requestVerifier,
        method: operation.method,
        path: fullPath,
        ...(bodyHash === undefined ? {} : { bodyHash }),
      });
      if (mode === "bad-signature") {
        const sig = signed[REQUEST_SIGNING.headers.signature]!;
        signed[REQUEST_SIGNING.headers.signature] =
          `${sig.slice(0, 10)}${sig[10] === "0" ? "1" : "0"}${sig.slice(11)}`;
      }
      Object.assign(headers, signed);
    }
  }
  return { method: operation.method, path: fullPath, headers, ...(body === undefined ? {} : { body }) };
}

/** A valid signed request that changes state (publishing a fresh public artifact), to replay afterwards. */
async function validPublish(target: FuzzTarget, account: LocalAccount): Promise<PreparedRequest> {
  const bytes = crypto.getRandomValues(new Uint8Array(64));
  const path = `/artifacts/${contentId(bytes)}`;
  const headers = await signedHeaders({
    account,
    chainId: target.chainId,
    verifyingContract: target.requestVerifier,
    method: "PUT",
    path,
    bodyHash: sha256(bytes),
  });
  return {
    method: "PUT",
    path,
    headers: { ...headers, "content-type": "application/octet-stream" },
    body: bytes,
  };
}

type Sent = { status: number; text: string } | { status: "hang" | "network" | "unsendable"; text: string };

async function send(target: FuzzTarget, request: PreparedRequest, timeoutMs: number): Promise<Sent> {
  const init: RequestInit = {
    method: request.method,
    headers: request.headers,
    signal: AbortSignal.timeout(timeoutMs),
  };
  if (request.body !== undefined) init.body = request.body as RequestInit["body"];
  let response: Response;
  try {
    response = await fetch(`${target.url}${request.path}`, init);
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError" || name === "AbortError") return { status: "hang", text: "no answer" };
    // fetch refuses some requests before sending them (a URL it cannot parse, a header it cannot encode).
    if (error instanceof TypeError && !String((error as Error).cause ?? "").includes("ECONN"))
      return { status: "unsendable", text: String(error) };
    return { status: "network", text: String((error as Error).cause ?? error) };
  }
  try {
    if ((response.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
      await response.body?.cancel();
      return { status: response.status, text: "(event stream)" };
    }
    return { status: response.status, text: (await response.text()).slice(0, 300) };
  } catch (error) {
    return { status: "hang", text: `the body did not arrive: ${String(error)}` };
  }
}

/** Run `count` fuzz requests against `target`, one at a time, and report what went wrong. */
export async function fuzzCoordinator(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const rng = random(options.seed);
  const document = (await (await fetch(`${target.url}/openapi.json`)).json()) as Record<string, unknown>;
  const operations = operationsOf(document);
  const accounts = Array.from({ length: 5 }, () => privateKeyToAccount(generatePrivateKey()));
  const report: FuzzReport = {
    requests: 0,
    byStatus: {},
    serverErrors: [],
    hangs: [],
    acceptedReplays: [],
    stateChanges: [],
    unsendable: 0,
  };
  const record = (
    request: PreparedRequest,
    sent: Sent,
    before: string,
    after: string,
    replay: string | null,
  ) => {
    if (sent.status === "unsendable") {
      report.unsendable += 1;
      return;
    }
    report.requests += 1;
    const key = String(sent.status);
    report.byStatus[key] = (report.byStatus[key] ?? 0) + 1;
    const finding = {
      method: request.method,
      path: request.path.slice(0, 200),
      status: sent.status,
      detail: sent.text,
    };
    if (sent.status === "hang" || sent.status === "network") report.hangs.push(finding);
    else if (sent.status >= 500) report.serverErrors.push(finding);
    else if (replay !== null && sent.status < 400)
      report.acceptedReplays.push({ ...finding, detail: replay });
    if (typeof sent.status === "number" && sent.status >= 400 && before !== after) {
      report.stateChanges.push({ ...finding, detail: `${before} → ${after}` });
    }
  };

  while (report.requests + report.unsendable < options.count) {
    if (rng() < 0.04) {
      // A valid signed request, then its replays in every encoding: only the first may be accepted.
      const original = await validPublish(target, pick(rng, accounts));
      const first = await send(target, original, options.timeoutMs);
      record(original, first, "", "", null);
      for (const [encoding, headers] of replayEncodings(original.headers)) {
        const replay = { ...original, headers };
        const before = await rowCounts(target.db);
        const sent = await send(target, replay, options.timeoutMs);
        record(replay, sent, before, await rowCounts(target.db), encoding);
      }
    } else {
      const request = await prepare(pick(rng, operations), rng, target, accounts);
      const before = await rowCounts(target.db);
      const sent = await send(target, request, options.timeoutMs);
      record(request, sent, before, await rowCounts(target.db), null);
    }
    options.onProgress?.(report.requests + report.unsendable, report);
  }
  return report;
}
