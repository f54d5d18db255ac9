import type { LoadResult } from "./loadJobs.ts";

/** The q-quantile (0..1) of a list of numbers, nearest-rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** A figure rounded to `digits` significant digits, for tables and the JSON line. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(digits));
}

/** Print a Markdown table: the same form the README records. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly unknown[])[],
): void {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map(() => "---").join("|")}|`);
  for (const row of rows) console.log(`| ${row.map((cell) => String(cell)).join(" | ")} |`);
}

/** Progress, on stderr: stdout holds only the tables and the JSON line. */
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** Throughput and per-request latency of a measured load. */
export interface Rate {
  perSecond: number;
  medianMs: number;
  p95Ms: number;
  requests: number;
}

/** Requests/s, median and p95 of a load, refusing any response but the expected one. */
export function rate(result: LoadResult, expectedStatus: number, what: string): Rate {
  const bad = Object.entries(result.statuses).filter(([status]) => Number(status) !== expectedStatus);
  if (bad.length > 0) throw new Error(`${what}: unexpected responses ${JSON.stringify(result.statuses)}`);
  return {
    perSecond: round(result.latenciesMs.length / result.seconds),
    medianMs: round(quantile(result.latenciesMs, 0.5)),
    p95Ms: round(quantile(result.latenciesMs, 0.95)),
    requests: result.latenciesMs.length,
  };
}

/** a ÷ b, for the ratio columns. */
export const ratio = (a: number, b: number) => round(a / b, 3);
