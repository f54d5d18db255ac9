/**
 * `npm run gas -w @flock/contracts`: runs the end-to-end scenario on a fresh in-process chain and writes the
 * gas used by each user action, read from the transaction receipts, into the README's gas table.
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SOLC_VERSION } from "../hardhat.config.ts";
import { creditGasActions, runCreditsScenario } from "../test/support/creditsScenario.ts";
import { createFixture } from "../test/support/fixture.ts";
import { gasActions, runEconomyScenario } from "../test/support/scenario.ts";
import { PACKAGE_ROOT } from "./compile.ts";

const START = "<!-- gas-table:start -->";
const END = "<!-- gas-table:end -->";
const CREDITS_START = "<!-- credits-gas-table:start -->";
const CREDITS_END = "<!-- credits-gas-table:end -->";

const fx = await createFixture();
const receipts = await runEconomyScenario(fx);
const creditReceipts = await runCreditsScenario(fx);
function row(action: string, receipt: { to: string | null; gasUsed: bigint }): string {
  const to = Object.entries(fx.flock.addresses).find(
    ([, address]) => address.toLowerCase() === receipt.to?.toLowerCase(),
  )?.[0];
  return `| ${action} | ${to ?? "?"} | ${receipt.gasUsed.toLocaleString("en-US")} |`;
}
const rows = gasActions.map((action) => row(action, receipts[action]));
const table = [
  START,
  `Gas per user action, read from the transaction receipts of the end-to-end scenario (\`test/support/scenario.ts\`; the first occurrence of each action: \`setSigma\` opens a pool, \`claim vesting\` releases about half of a 30-day vesting). solc ${SOLC_VERSION}, optimizer 200 runs, Hardhat EDR (cancun). Written by \`npm run gas -w @flock/contracts\`.`,
  "",
  "| action | contract | gas used |",
  "| --- | --- | ---: |",
  ...rows,
  END,
].join("\n");

const creditsTable = [
  CREDITS_START,
  `Gas of the usage-credit actions, read from the receipts of \`test/support/creditsScenario.ts\` (a first \`deposit\` fills a fresh balance slot; each collection charges 1 FLOCK of balances that stay positive; \`withdraw\` pays a request after the delay). Same compiler and network as above.`,
  "",
  "| action | contract | gas used |",
  "| --- | --- | ---: |",
  ...creditGasActions.map((action) => row(action, creditReceipts[action])),
  CREDITS_END,
].join("\n");

/** Replaces the text between `open` and `close` (markers included) with `content`. */
function replaceSection(text: string, open: string, close: string, content: string): string {
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`README.md has no ${open} … ${close} section`);
  return text.slice(0, start) + content + text.slice(end + close.length);
}

const readme = path.join(PACKAGE_ROOT, "README.md");
let text = readFileSync(readme, "utf8");
text = replaceSection(text, START, END, table);
text = replaceSection(text, CREDITS_START, CREDITS_END, creditsTable);
writeFileSync(readme, text);
console.log(table);
console.log(creditsTable);
process.exit(0);
