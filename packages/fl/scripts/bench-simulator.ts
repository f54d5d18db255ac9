/**
 * Simulator benchmark figures (run by hand or from the package benchmark; never a test):
 *   node packages/fl/scripts/bench-simulator.ts [--quick]
 * - clients trained per second on the worker pool (digits, 64→32→10 MLP, 5 local epochs, batch 4);
 * - the cost of sending a model to a worker thread: structured-clone copy vs transfer, per message;
 * - peak RSS of a 100,000-client population sampled 10 per round;
 * - one round of 10,000 clients (a 100,000-client population) on every core.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { simulate } from "../src/simulate/simulate.ts";

export interface SimulatorBenchmark {
  readonly threads: number;
  readonly clientsPerSecond: { readonly inline: number; readonly pool: number };
  readonly messageMicros: { readonly floats: number; readonly copy: number; readonly transfer: number }[];
  readonly population100k: { readonly peakRssMiB: number; readonly rounds: number };
  readonly bigRound?: {
    readonly clients: number;
    readonly seconds: number;
    readonly clientsPerSecond: number;
  };
}

/** Mean round-trip time in µs of posting a Float32Array of `floats` to an echo thread and back. */
async function messageCost(floats: number, transfer: boolean, repeats: number): Promise<number> {
  const worker = new Worker(
    `const { parentPort } = require("node:worker_threads");
     parentPort.on("message", (a) => parentPort.postMessage(a, [a.buffer]));`,
    { eval: true },
  );
  const once = (a: Float32Array) =>
    new Promise<Float32Array>((resolve) => {
      worker.once("message", resolve);
      worker.postMessage(a, transfer ? [a.buffer as ArrayBuffer] : []);
    });
  const source = new Float32Array(floats).fill(1);
  await once(Float32Array.from(source));
  const started = performance.now();
  for (let i = 0; i < repeats; i++) {
    // Transferring needs a buffer of its own each time (the global model stays with the server): copy it first.
    await once(transfer ? Float32Array.from(source) : source);
  }
  const micros = ((performance.now() - started) * 1000) / repeats;
  await worker.terminate();
  return micros;
}

export async function benchmarkSimulator(options: { quick?: boolean } = {}): Promise<SimulatorBenchmark> {
  const rounds = options.quick ? 5 : 20;
  const speed = (workers: number) =>
    simulate({ rounds, clientsPerRound: 20, workers, seed: 1 }).then(
      (r) => r.strategies[0]!.clientsPerSecond,
    );
  const inline = await speed(0);
  const pool = await speed(availableParallelism());
  const messageMicros = [];
  for (const floats of [2_410, 1_000_000]) {
    const repeats = floats > 100_000 ? 50 : 2000;
    messageMicros.push({
      floats,
      copy: await messageCost(floats, false, repeats),
      transfer: await messageCost(floats, true, repeats),
    });
  }
  const big = await simulate({
    clients: 100_000,
    clientsPerRound: 10,
    rounds: 5,
    partition: { labels: { kind: "dirichlet", alpha: 0.5 } },
    workers: 0,
    seed: 2,
  });
  const population100k = { peakRssMiB: big.peakRssBytes / 2 ** 20, rounds: 5 };
  let bigRound: SimulatorBenchmark["bigRound"];
  if (!options.quick) {
    const clients = 10_000;
    const r = await simulate({
      clients: 100_000,
      clientsPerRound: clients,
      rounds: 1,
      partition: { labels: { kind: "dirichlet", alpha: 0.5 } },
      seed: 3,
    });
    const seconds = r.strategies[0]!.rounds[0]!.durationMs / 1000;
    bigRound = { clients, seconds, clientsPerSecond: clients / seconds };
  }
  return {
    threads: availableParallelism(),
    clientsPerSecond: { inline, pool },
    messageMicros,
    population100k,
    ...(bigRound ? { bigRound } : {}),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const b = await benchmarkSimulator({ quick: process.argv.includes("--quick") });
  console.log(`simulator on ${b.threads} threads (digits, 64→32→10 MLP, 5 local epochs, batch 4)`);
  console.log(
    `  clients trained per second: ${b.clientsPerSecond.pool.toFixed(0)} on the pool, ${b.clientsPerSecond.inline.toFixed(0)} inline`,
  );
  for (const m of b.messageMicros) {
    console.log(
      `  a ${m.floats}-float model to a worker and back: copy ${m.copy.toFixed(1)} µs, copy+transfer ${m.transfer.toFixed(1)} µs`,
    );
  }
  console.log(
    `  100,000-client population, ${b.population100k.rounds} rounds of 10: peak RSS ${b.population100k.peakRssMiB.toFixed(0)} MiB`,
  );
  if (b.bigRound) {
    console.log(
      `  one round of ${b.bigRound.clients} clients: ${b.bigRound.seconds.toFixed(1)} s (${b.bigRound.clientsPerSecond.toFixed(0)} clients/s)`,
    );
  }
}
