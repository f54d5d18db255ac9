/**
 * The participants of the FL round benchmark, in a worker thread so that the coordinator's thread does the
 * coordinator's work only: each is the scripted test participant (train moves its vector halfway to its private
 * target, evaluate scores the distance) speaking the real HTTP protocol to the coordinator on 127.0.0.1, with
 * the node's long poll (`GET /fl/tasks/:id/messages?waitMs=…`). Every request and response body is counted and
 * charged to the round of the messages being answered.
 */
import { parentPort, workerData } from "node:worker_threads";
import { privateKeyToAccount } from "viem/accounts";
import { type FlHttp, flTestParticipant } from "../src/testing/flTestParticipant.ts";
import { signedHeaders } from "../src/testing/signedHeaders.ts";

export interface FlParticipantsInput {
  origin: string;
  taskId: number;
  chainId: number;
  requestVerifier: `0x${string}`;
  privateKeys: `0x${string}`[];
  /** The model's length: participant i's private target is built here from i (not sent: 100 × 100k floats). */
  floats: number;
  /** The long poll's wait (the node's default is 25 s). */
  waitMs: number;
}

/** Sent once the worker is loaded: start now. */
interface Go {
  /** How far the coordinator's clock is ahead of the system clock (participants sign with the same time). */
  clockShiftMs: number;
}

/** Bytes of bodies one participant sent and received, by round. */
export type RoundBytes = Record<number, { up: number; down: number }>;

export interface FlParticipantsOutput {
  bytes: RoundBytes[];
  /** Requests whose status was not the expected one, or thrown errors (the benchmark reports them). */
  errors: string[];
  /** CPU time of this thread (all participants), µs. */
  cpuMicros: number;
}

/** Participant i's private target: a shared pattern, shifted a little per participant. */
function targetOf(i: number, floats: number): number[] {
  return Array.from({ length: floats }, (_, j) => ((j % 17) - 8) / 8 + (i % 5) * 0.01);
}

const TERMINAL = new Set(["closed", "finished", "cancelled"]);

function countingHttp(
  input: FlParticipantsInput & Go,
  bytes: RoundBytes,
  state: { round: number; status: string },
): FlHttp {
  const charge = (up: number, down: number) => {
    const entry = bytes[state.round] ?? { up: 0, down: 0 };
    entry.up += up;
    entry.down += down;
    bytes[state.round] = entry;
  };
  return {
    async signed(account, method, path, body) {
      const poll = method === "GET" && path.endsWith("/messages");
      const url = poll ? `${path}?waitMs=${input.waitMs}` : path;
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers = await signedHeaders({
        account,
        chainId: input.chainId,
        verifyingContract: input.requestVerifier,
        method,
        path: url,
        ...(payload === undefined ? {} : { body: payload }),
        timestamp: Math.floor((Date.now() + input.clockShiftMs) / 1000),
      });
      const response = await fetch(`${input.origin}${url}`, {
        method,
        headers: { ...headers, ...(payload === undefined ? {} : { "content-type": "application/json" }) },
        ...(payload === undefined ? {} : { body: payload }),
      });
      const text = await response.text();
      if (poll && response.status === 200) {
        const polled = JSON.parse(text) as { messages: { round: number }[]; taskStatus: string };
        state.status = polled.taskStatus;
        if (polled.messages.length > 0) state.round = Math.max(...polled.messages.map((m) => m.round));
      }
      charge(payload === undefined ? 0 : Buffer.byteLength(payload), Buffer.byteLength(text));
      return { status: response.status, text, json: () => JSON.parse(text) };
    },
    async bytes(path) {
      const response = await fetch(`${input.origin}${path}`);
      const data = new Uint8Array(await response.arrayBuffer());
      charge(0, data.length);
      return { status: response.status, bytes: data };
    },
  };
}

/** The figures so far (the benchmark asks for them once the rounds it measures have ended). */
function report(cpu0: NodeJS.CpuUsage, bytes: RoundBytes[], errors: string[]): FlParticipantsOutput {
  const cpu = process.threadCpuUsage(cpu0);
  return { bytes: structuredClone(bytes), errors: [...errors], cpuMicros: cpu.user + cpu.system };
}

async function run(input: FlParticipantsInput & Go, asked: Promise<unknown>): Promise<FlParticipantsOutput> {
  const cpu0 = process.threadCpuUsage();
  const errors: string[] = [];
  const bytes: RoundBytes[] = input.privateKeys.map(() => ({}));
  const answered = asked.then(() => report(cpu0, bytes, errors));
  const finished = Promise.all(
    input.privateKeys.map(async (key, i) => {
      const state = { round: 0, status: "running" };
      const http = countingHttp(input, bytes[i]!, state);
      const participant = flTestParticipant(
        http,
        input.taskId,
        privateKeyToAccount(key),
        targetOf(i, input.floats),
      );
      while (!TERMINAL.has(state.status)) {
        try {
          await participant.answerPending();
        } catch (error) {
          errors.push(error instanceof Error ? error.message : String(error));
          if (errors.length > 50) return;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
    }),
  ).then(() => report(cpu0, bytes, errors));
  return Promise.race([answered, finished]);
}

if (parentPort !== null) {
  const port = parentPort;
  let go: (message: Go) => void;
  let ask: () => void;
  const started = new Promise<Go>((resolve) => {
    go = resolve;
  });
  const asked = new Promise<void>((resolve) => {
    ask = resolve;
  });
  port.on("message", (m: ({ kind: "go" } & Go) | { kind: "report" }) => {
    if (m.kind === "go") go(m);
    else ask();
  });
  port.postMessage({ kind: "ready" });
  const { clockShiftMs } = await started;
  run({ ...(workerData as FlParticipantsInput), clockShiftMs }, asked).then(
    (output) => port.postMessage({ kind: "done", output }),
    (error: unknown) => port.postMessage({ kind: "failed", error: String(error) }),
  );
}
