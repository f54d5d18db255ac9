/**
 * Peak RSS of a simulation over a large population, run alone in a fresh process by the benchmark:
 * `node bench/rssProbe.ts <clients> <rounds>` prints `{ peakRssBytes, clientsTrained, durationMs }`.
 */
import { simulate } from "../src/simulate/simulate.ts";

const clients = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 5);
const result = await simulate({ clients, clientsPerRound: 100, rounds, hidden: [32], seed: 2 });
const run = result.strategies[0]!;
const peakRssBytes = Math.max(result.peakRssBytes, process.resourceUsage().maxRSS * 1024);
process.stdout.write(
  `${JSON.stringify({ peakRssBytes, clientsTrained: run.clientsTrained, durationMs: run.durationMs })}\n`,
);
