/**
 * `npm run fuzz -w @flock/server [-- --count N --seed S --timeout-ms T]`: fuzz a fresh coordinator on
 * 127.0.0.1 with N requests (100,000 by default) and print the answers by status and every finding.
 * Exits 1 when a request got a 5xx, hung, was an accepted replay, or changed the database while refused.
 */
import { parseArgs } from "node:util";
import { fuzzCoordinator } from "./fuzzCoordinator.ts";
import { startFuzzServer } from "./fuzzServer.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "100000" },
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
    "timeout-ms": { type: "string", default: "10000" },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
const server = await startFuzzServer();
const started = Date.now();
try {
  const report = await fuzzCoordinator(server, {
    count,
    seed,
    timeoutMs: Number(values["timeout-ms"]),
    onProgress: (done, partial) => {
      if (done % 5000 === 0) {
        const seconds = ((Date.now() - started) / 1000).toFixed(0);
        process.stderr.write(`${done}/${count} in ${seconds} s ${JSON.stringify(partial.byStatus)}\n`);
      }
    },
  });
  const findings = {
    serverErrors: report.serverErrors.length,
    hangs: report.hangs.length,
    acceptedReplays: report.acceptedReplays.length,
    stateChanges: report.stateChanges.length,
  };
  console.log(
    JSON.stringify(
      {
        seed,
        requests: report.requests,
        unsendable: report.unsendable,
        seconds: (Date.now() - started) / 1000,
        byStatus: report.byStatus,
        findings,
      },
      null,
      2,
    ),
  );
  for (const finding of [
    ...report.serverErrors,
    ...report.hangs,
    ...report.acceptedReplays,
    ...report.stateChanges,
  ].slice(0, 50)) {
    console.log(JSON.stringify(finding));
  }
  process.exitCode = Object.values(findings).some((n) => n > 0) ? 1 : 0;
} finally {
  await server.close();
}
