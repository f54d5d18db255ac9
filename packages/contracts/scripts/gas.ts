/**
 * `npm run gas -w @flock/contracts`: runs the end-to-end scenario on a fresh in-process chain and writes the
 * gas used by each user action, read from the transaction receipts, into the README's gas table.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SOLC_VERSION } from "../hardhat.config.ts";
import { createFixture } from "../test/support/fixture.ts";
import { gasActions, runEconomyScenario } from "../test/support/scenario.ts";
import { PACKAGE_ROOT } from "./compile.ts";

const START = "<!-- gas-table:start -->";
const END = "<!-- gas-table:end -->";

const fx = await createFixture();
const receipts = await runEconomyScenario(fx);
const rows = gasActions.map((action) => {
  const receipt = receipts[action];
  const to = Object.entries(fx.flock.addresses).find(
    ([, address]) => address.toLowerCase() === receipt.to?.toLowerCase(),
  )?.[0];
  return `| ${action} | ${to ?? "?"} | ${receipt.gasUsed.toLocaleString("en-US")} |`;
});
const table = [
  START,
  `Gas per user action, read from the transaction receipts of the end-to-end scenario (\`test/support/scenario.ts\`; the first occurrence of each action: \`setSigma\` opens a pool, \`claim vesting\` releases about half of a 30-day vesting). solc ${SOLC_VERSION}, optimizer 200 runs, Hardhat EDR (cancun). Written by \`npm run gas -w @flock/contracts\`.`,
  "",
  "| action | contract | gas used |",
  "| --- | --- | ---: |",
  ...rows,
  END,
].join("\n");

const readme = path.join(PACKAGE_ROOT, "README.md");
const text = readFileSync(readme, "utf8");
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
writeFileSync(readme, text.slice(0, start) + table + text.slice(end + END.length));
console.log(table);
process.exit(0);
