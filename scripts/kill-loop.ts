/**
 * Pull the plug on `flock demo` N times (default 10): each round kills it with SIGKILL at a random point of
 * its story, checks that its anvil stopped, starts it again on the same home and lets it finish. Prints the
 * outcome of each round and exits 1 if any restart did not finish or any anvil outlived its starter.
 *
 *   node scripts/kill-loop.ts [N] [--home DIR] [--seed S] [--full]
 *
 * `--full` runs the demo's default settings instead of `--quick`; the home is a new temporary folder unless
 * given (and kept, to inspect).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  describeRun,
  randomKillPoint,
  runDemoProcess,
  seededRandom,
} from "../packages/cli/src/testing/demoKillLoop.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    home: { type: "string" },
    seed: { type: "string" },
    full: { type: "boolean", default: false },
  },
});
const rounds = Number(positionals[0] ?? "10");
if (!Number.isSafeInteger(rounds) || rounds < 1) {
  console.error(
    `usage: node scripts/kill-loop.ts [N] [--home DIR] [--seed S] [--full]; N was "${positionals[0]}"`,
  );
  process.exit(2);
}
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const random = seededRandom(seed);
const home = values.home ?? mkdtempSync(join(tmpdir(), "flock-kill-loop-"));
const args = values.full ? [] : ["--quick"];
console.log(`kill loop: ${rounds} round(s) of \`flock demo ${args.join(" ")}\` on ${home} (seed ${seed})`);

let finished = 0;
let anvilsLeft = 0;
for (let round = 1; round <= rounds; round++) {
  const kill = randomKillPoint(random);
  const killed = await runDemoProcess({ home, args, kill });
  if (killed.anvilStopped === false) anvilsLeft++;
  const restart = killed.outcome === "killed" ? await runDemoProcess({ home, args }) : killed;
  if (restart.outcome === "finished") finished++;
  const lines = [`round ${round}/${rounds}: ${describeRun(killed, kill)}`];
  if (restart !== killed) lines.push(`  restart: ${describeRun(restart)}`);
  console.log(lines.join("\n"));
}
console.log(
  `${finished} of ${rounds} restart(s) finished; ${anvilsLeft} anvil(s) outlived the process that started them (home ${home})`,
);
process.exitCode = finished === rounds && anvilsLeft === 0 ? 0 : 1;
