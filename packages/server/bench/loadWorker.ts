/**
 * The benchmark's HTTP client, in its own thread so that building, sending and reading requests does not
 * share the coordinator's event loop (a real coordinator's clients are elsewhere).
 */
import { createHash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import { privateKeyToAccount } from "viem/accounts";
import { signedHeaders } from "../src/testing/signedHeaders.ts";
import type { LoadJob, LoadResult, PlannedRequest } from "./loadJobs.ts";

function count(statuses: Record<string, number>, status: number): void {
  statuses[status] = (statuses[status] ?? 0) + 1;
}

async function send(baseUrl: string, request: PlannedRequest): Promise<number> {
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: {
      ...request.headers,
      ...(request.body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function timed(job: Extract<LoadJob, { kind: "timed" }>): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let next = 0;
  const loop = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const request = job.requests[next++ % job.requests.length]!;
      const start = performance.now();
      count(statuses, await send(job.baseUrl, request));
      if (record) latenciesMs.push(performance.now() - start);
    }
  };
  const clients = (until: number, record: boolean) =>
    Promise.all(Array.from({ length: job.concurrency }, () => loop(until, record)));
  await clients(performance.now() + job.warmupMs, false);
  const start = performance.now();
  await clients(start + job.durationMs, true);
  return { seconds: (performance.now() - start) / 1000, latenciesMs, statuses };
}

async function once(job: Extract<LoadJob, { kind: "once" }>): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const run = async (requests: PlannedRequest[], record: boolean) => {
    let next = 0;
    const loop = async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const start = performance.now();
        count(statuses, await send(job.baseUrl, requests[i]!));
        if (record) latenciesMs.push(performance.now() - start);
      }
    };
    await Promise.all(Array.from({ length: job.concurrency }, loop));
  };
  await run(job.requests.slice(0, job.warmup), false);
  const start = performance.now();
  await run(job.requests.slice(job.warmup), true);
  return { seconds: (performance.now() - start) / 1000, latenciesMs, statuses };
}

async function upload(job: Extract<LoadJob, { kind: "upload" }>): Promise<LoadResult> {
  const account = privateKeyToAccount(job.privateKey);
  const bytes = Buffer.alloc(job.size);
  for (let i = 0; i < bytes.length; i += 4)
    bytes.writeUInt32LE((Math.imul(i, 0x9e3779b1) ^ job.seed) >>> 0, i);
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const ids: string[] = [];
  let seconds = 0;
  for (let n = 0; n < job.warmup + job.count; n++) {
    bytes.writeUInt32LE(n, 0);
    bytes.writeUInt32LE(job.seed, 4);
    const hex = createHash("sha256").update(bytes).digest("hex");
    const path = `/artifacts/sha256:${hex}`;
    const headers = await signedHeaders({
      account,
      chainId: job.chainId,
      method: "PUT",
      path,
      bodyHash: `0x${hex}`,
      timestamp: job.timestamp,
    });
    const start = performance.now();
    const response = await fetch(`${job.baseUrl}${path}`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/octet-stream" },
      body: bytes,
    });
    await response.arrayBuffer();
    const elapsed = performance.now() - start;
    count(statuses, response.status);
    ids.push(`sha256:${hex}`);
    if (n >= job.warmup) {
      latenciesMs.push(elapsed);
      seconds += elapsed / 1000;
    }
  }
  return { seconds, latenciesMs, statuses, ids };
}

async function download(job: Extract<LoadJob, { kind: "download" }>): Promise<LoadResult> {
  const statuses: Record<string, number> = {};
  const latenciesMs: number[] = [];
  let seconds = 0;
  for (let n = 0; n < job.warmup + job.count; n++) {
    const start = performance.now();
    const response = await fetch(`${job.baseUrl}${job.path}`);
    let received = 0;
    for await (const chunk of response.body ?? []) received += (chunk as Uint8Array).length;
    const elapsed = performance.now() - start;
    // A short body would make the figure meaningless: count it as a failure, whatever the status.
    count(statuses, received === job.size ? response.status : -1);
    if (n >= job.warmup) {
      latenciesMs.push(elapsed);
      seconds += elapsed / 1000;
    }
  }
  return { seconds, latenciesMs, statuses };
}

function run(job: LoadJob): Promise<LoadResult> {
  switch (job.kind) {
    case "timed":
      return timed(job);
    case "once":
      return once(job);
    case "upload":
      return upload(job);
    case "download":
      return download(job);
    default:
      throw job satisfies never;
  }
}

parentPort?.on("message", (message: { id: number; job: LoadJob }) => {
  run(message.job).then(
    (result) => parentPort?.postMessage({ id: message.id, result }),
    (error: unknown) =>
      parentPort?.postMessage({
        id: message.id,
        error: error instanceof Error ? error.stack : String(error),
      }),
  );
});
