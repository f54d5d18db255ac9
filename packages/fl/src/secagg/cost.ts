import { createRng, mixSeed } from "@flock/engine";
import type { Arrays } from "../arrays.ts";
import { InMemoryGrid, type NodeApp } from "../inMemoryGrid.ts";
import type { Message } from "../messages.ts";
import { FedAvg } from "../strategies/fedAvg.ts";
import { secAggPlusNode } from "./node.ts";
import { SecAggPlus, type SecAggPlusOptions } from "./secAggPlus.ts";

export interface SecAggCostOptions extends SecAggPlusOptions {
  /** Nodes sampled into the round. */
  readonly clients: number;
  /** Values in the model (one float32 array of this length). */
  readonly parameters: number;
  /** Seed of the synthetic updates (default 0). */
  readonly seed?: number;
}

/** The cost of one SecAgg+ round against a plain one, per client and on the server. */
export interface SecAggCost {
  readonly clients: number;
  readonly parameters: number;
  readonly neighbours: number;
  readonly threshold: number;
  /** Mean bytes a client uploads over the four stages. */
  readonly uploadBytesPerClient: number;
  /** Bytes a client uploads in a plain round: the float32 update and its number of examples. */
  readonly plainUploadBytesPerClient: number;
  /** uploadBytesPerClient / plainUploadBytesPerClient. */
  readonly uploadRatio: number;
  /** Mean bytes the server sends a client over the four stages (the global arrays included). */
  readonly downloadBytesPerClient: number;
  /** The server's own wall time in the round (key routing, share checks, reconstruction, unmasking), in ms. */
  readonly serverMs: number;
  /** The server's own CPU time in the round, in ms (robust to a busy machine). */
  readonly serverCpuMs: number;
  /** The clients' wall time (keys, shares, masks; the synthetic training is trivial), per client, in ms. */
  readonly clientMsPerClient: number;
  /** The clients' CPU time, per client, in ms. */
  readonly clientCpuMsPerClient: number;
  /** Wall time of the whole round in this process, in ms. */
  readonly roundMs: number;
}

/**
 * Runs one SecAgg+ round of `clients` synthetic clients over an `InMemoryGrid` (no dropouts) and measures
 * it: what the benchmark reports as SecAgg+ cost. Example: `secAggCost({ clients: 100, parameters: 10_000 })`.
 */
export async function secAggCost(options: SecAggCostOptions): Promise<SecAggCost> {
  const { clients, parameters, seed = 0, ...secAgg } = options;
  const initial: Arrays = new Map([["w", { shape: [parameters], data: new Float32Array(parameters) }]]);
  const app: NodeApp = {
    async train(message: Message) {
      const rng = createRng(mixSeed(seed, Number(message.nodeId)));
      const data = new Float32Array(parameters);
      for (let i = 0; i < parameters; i++) data[i] = rng.next() - 0.5;
      return { arrays: new Map([["w", { shape: [parameters], data }]]), numExamples: 10, metrics: {} };
    },
    async evaluate() {
      return { numExamples: 0, metrics: {} };
    },
  };
  const grid = new InMemoryGrid({ nodes: clients, app: secAggPlusNode(app, { roundingSeed: seed }) });
  const strategy = new SecAggPlus(new FedAvg({ minTrainNodes: clients, minAvailableNodes: clients }), secAgg);
  const started = performance.now();
  const startedCpu = process.cpuUsage();
  await strategy.trainRound(1, initial, {}, grid);
  const roundMs = performance.now() - started;
  const cpu = process.cpuUsage(startedCpu);
  const roundCpuMs = (cpu.user + cpu.system) / 1000;
  const report = strategy.lastRound!;
  const mean = (m: ReadonlyMap<string, number>): number =>
    [...m.values()].reduce((a, b) => a + b, 0) / m.size;
  const uploadBytesPerClient = mean(report.uploadBytes);
  const plainUploadBytesPerClient = 4 * parameters + 8;
  return {
    clients,
    parameters,
    neighbours: report.neighbours,
    threshold: report.threshold,
    uploadBytesPerClient,
    plainUploadBytesPerClient,
    uploadRatio: uploadBytesPerClient / plainUploadBytesPerClient,
    downloadBytesPerClient: mean(report.downloadBytes),
    serverMs: report.serverMs,
    serverCpuMs: report.serverCpuMs,
    clientMsPerClient: (roundMs - report.serverMs) / clients,
    clientCpuMsPerClient: (roundCpuMs - report.serverCpuMs) / clients,
    roundMs,
  };
}
