/**
 * The federated-learning benchmark (`npm run bench -w packages/fl`): figures and ratios measured in one run
 * on this machine, printed, never asserted (timing never fails CI).
 *
 * 1. FedAvg aggregation throughput (parameters/s) against this machine's memcpy bandwidth
 *    (Float32Array.prototype.set of a large buffer), as a ratio (target ≥ 50%).
 * 2. SecAgg+ cost per client and on the server at 100 and 1,000 clients against plain aggregation
 *    (upload bytes ratio, target ≤ 2×; CPU time).
 * 3. Simulator throughput (clients trained per second) and one round of 10,000 clients of a small model
 *    (target < 1 min on 2 cores).
 * 4. Peak RSS of a simulation over a 100,000-client population, in a fresh process (target < 2 GiB).
 *
 * `--quick` shrinks every size (a smoke run of the script itself).
 */
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { secAggCost } from "../src/secagg/cost.ts";
import { simulate } from "../src/simulate/simulate.ts";
import { measureFedAvg, measureMemcpy, measurePlainServer } from "./aggregation.ts";

const quick = process.argv.includes("--quick");
const GIB = 2 ** 30;
const MIB = 2 ** 20;

const fmt = (x: number, digits = 3) => Number(x.toPrecision(digits)).toLocaleString("en-US");
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const line = (text = "") => process.stdout.write(`${text}\n`);

line(`# @flock/fl benchmark${quick ? " (--quick)" : ""}`);
line(
  `machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores available, ${(totalmem() / GIB).toFixed(0)} GiB RAM; Node ${process.versions.node}`,
);
line();

// 1. Aggregation against memcpy.
line("## FedAvg aggregation vs memcpy");
// Each aggregation is compared with a copy of as many floats as its updates hold (the same working set).
for (const shape of quick
  ? [{ clients: 10, parameters: 100_000 }]
  : [
      { clients: 10, parameters: 1_000_000 },
      { clients: 100, parameters: 100_000 },
      { clients: 1_000, parameters: 10_000 },
    ]) {
  const memcpy = measureMemcpy(shape.clients * shape.parameters);
  const fedAvg = await measureFedAvg(shape.clients, shape.parameters);
  line(
    `${fmt(shape.clients)} updates × ${fmt(shape.parameters)} parameters (${fmt((4 * shape.clients * shape.parameters) / MIB)} MiB): memcpy ${fmt(memcpy.floatsPerSecond / 1e9)} G floats/s (${fmt(memcpy.bytesPerSecond / GIB)} GiB/s); FedAvg.aggregateTrain ${fmt(fedAvg.parametersPerSecond / 1e9)} G parameters/s (${fmt(fedAvg.ms)} ms) = ${pct(fedAvg.parametersPerSecond / memcpy.floatsPerSecond)} of memcpy; the weighted-mean kernel alone ${fmt(fedAvg.kernelParametersPerSecond / 1e9)} G/s = ${pct(fedAvg.kernelParametersPerSecond / memcpy.floatsPerSecond)}`,
  );
}
line();

// 2. SecAgg+ against plain aggregation.
line("## SecAgg+ vs plain aggregation (one round, no dropouts)");
const secAggParameters = quick ? 1_000 : 10_000;
// At 100 clients the default dropout tolerance (⅓) gives the complete graph; at 1,000 the sparse graph of
// Bell et al. for a 10% dropout rate (at ⅓ it would be 304 neighbours, a several-minute round here).
for (const { clients, dropoutFraction } of quick
  ? [{ clients: 20, dropoutFraction: undefined }]
  : [
      { clients: 100, dropoutFraction: undefined },
      { clients: 1_000, dropoutFraction: 0.1 },
    ]) {
  const cost = await secAggCost({
    clients,
    parameters: secAggParameters,
    ...(dropoutFraction === undefined ? {} : { dropoutFraction }),
  });
  const plain = await measurePlainServer(clients, secAggParameters);
  line(
    `${fmt(clients)} clients × ${fmt(secAggParameters)} parameters, dropout tolerance ${dropoutFraction ?? "⅓"}: ${cost.neighbours} neighbours, threshold ${cost.threshold}; upload ${fmt(cost.uploadBytesPerClient / 1024)} KiB per client vs ${fmt(cost.plainUploadBytesPerClient / 1024)} KiB plain = ${cost.uploadRatio.toFixed(2)}× (target ≤ 2×); download ${fmt(cost.downloadBytesPerClient / 1024)} KiB per client`,
  );
  line(
    `  CPU: client ${fmt(cost.clientMsPerClient)} ms each (keys, shares, masks); server ${fmt(cost.serverMs)} ms vs ${fmt(plain.ms)} ms for plain FedAvg = ${fmt(cost.serverMs / plain.ms)}×; whole round ${fmt(cost.roundMs / 1000)} s in one process`,
  );
}
line();

// 3. Simulator throughput.
line("## Simulator");
const threads = availableParallelism();
const digits = await simulate({ rounds: quick ? 2 : 10, workers: threads, seed: 1 });
const run = digits.strategies[0]!;
line(
  `digits, MLP [32] (${digits.model.parameters} parameters), 10 of 100 clients per round, 5 local epochs of ~18 examples: ${fmt(run.clientsPerSecond)} clients trained/s on ${digits.threads} threads (${run.clientsTrained} clients in ${fmt(run.durationMs / 1000)} s, evaluation included)`,
);
const big = quick ? 500 : 10_000;
const wide = await simulate({
  clients: 10 * big,
  clientsPerRound: big,
  rounds: 1,
  hidden: [16],
  workers: threads,
  seed: 1,
});
const bigRun = wide.strategies[0]!;
line(
  `one round of ${fmt(big)} clients from a population of ${fmt(10 * big)} (MLP [16], ${wide.model.parameters} parameters; each client 5 local epochs of SGD, batch 4, on its 10 sampled rows): ${fmt(bigRun.rounds[0]!.durationMs / 1000)} s for the round (target < 60 s), ${fmt(bigRun.clientsPerSecond)} clients/s; test accuracy ${pct(bigRun.initial.accuracy)} → ${pct(bigRun.final.accuracy)}`,
);
line();

// 4. Memory with a 100,000-client population, in a fresh process so earlier parts do not count.
line("## Memory");
const population = quick ? 10_000 : 100_000;
const probe = fileURLToPath(new URL("./rssProbe.ts", import.meta.url));
const measured = JSON.parse(
  execFileSync(process.execPath, [probe, String(population), quick ? "2" : "5"], { encoding: "utf8" }),
) as { peakRssBytes: number; clientsTrained: number; durationMs: number };
line(
  `${fmt(population)} clients, 100 sampled per round, ${quick ? 2 : 5} rounds: peak RSS ${fmt(measured.peakRssBytes / MIB)} MiB (target < 2,048 MiB; the whole process and its ${threads} training threads)`,
);
