/**
 * Prints the hand-worked epoch of src/epoch/workedEpoch.ts step by step: inputs, consensus, shares,
 * delegation, rewards, slashes, the two Merkle roots and the report hash. Run with `npm start`.
 */
import { formatFlock, WAD } from "@flock/core";
import { computeEpoch, validateEpochInputs, workedEpochInputs } from "@flock/protocol";

const NAMES: Record<string, string> = {
  "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa": "trainer A",
  "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": "trainer B",
  "0xcccccccccccccccccccccccccccccccccccccccc": "trainer C",
  "0xd1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1": "delegator D1",
  "0xd2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2d2": "delegator D2",
  "0x1111111111111111111111111111111111111111": "validator V1",
  "0x2222222222222222222222222222222222222222": "validator V2",
  "0x7777777777777777777777777777777777777777": "treasury",
  "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee": "copier E",
  "0xf0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0": "trainer F",
  "0x6060606060606060606060606060606060606060": "trainer G",
  "0x3333333333333333333333333333333333333333": "validator V3",
  "0x4444444444444444444444444444444444444444": "validator V4",
  "0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1": "creator of img-acc",
  "0xc2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2": "creator of empty",
};

const who = (account: string): string =>
  `${NAMES[account] ?? "?"} (${account.slice(0, 6)}…${account.slice(-4)})`;
const flock = (amount: bigint): string => formatFlock(amount);
const ratio = (wad: bigint): string => formatFlock(wad);
const percent = (part: bigint, whole: bigint): string => {
  if (whole === 0n) return "0%";
  const bp = (part * 1_000_000n) / whole; // 4 decimals of a percent
  return `${bp / 10_000n}.${(bp % 10_000n).toString().padStart(4, "0")}%`;
};

/** Print an aligned table; columns whose header ends with ">" are right-aligned. */
function table(headers: string[], rows: string[][]): void {
  const right = headers.map((h) => h.endsWith(">"));
  const names = headers.map((h) => h.replace(/>$/, ""));
  const widths = names.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(`  ${line(names)}`);
  console.log(`  ${widths.map((w) => "─".repeat(w)).join("  ")}`);
  for (const row of rows) console.log(`  ${line(row)}`);
}

function section(title: string): void {
  console.log(`\n${title}`);
}

const raw = workedEpochInputs();
const inputs = validateEpochInputs(raw);
const result = computeEpoch(raw);
const { stages } = result;

console.log(`Flock — worked epoch ${result.epoch} (SPEC §2.1 and §3, every amount exact in base units)`);

section("Inputs");
const p = inputs.params;
console.log(
  `  emission E ${flock(inputs.emission)} FLOCK (mint ${inputs.mintIndex ?? "—"}) · FL stake ${flock(inputs.flStake ?? 0n)} · κ ${ratio(p.kappaWad)} · ρ ${ratio(p.rhoWad)} · β ${ratio(p.betaWad)} · ` +
    `tolerance ${ratio(p.toleranceScore)} · σ ∈ [${p.sigma.minBps}, ${p.sigma.maxBps}] bps · vesting ${p.vestingBps} bps`,
);
table(
  ["task", "weight>", "pool>", "creator", "γ (bps)>", "metric"],
  inputs.tasks.map((t) => [
    t.id,
    String(t.weight),
    flock(t.pool),
    t.creator === undefined ? "—" : who(t.creator),
    String(t.gammaBps),
    t.direction,
  ]),
);
console.log("");
table(
  ["submission", "trainer", "own stake>", "delegated>", "σ (bps)>"],
  inputs.submissions.map((s) => [
    s.id,
    who(s.account),
    flock(s.stake),
    flock(s.delegatedStake),
    s.sigmaBps === null ? "—" : String(s.sigmaBps),
  ]),
);
console.log("");
table(
  ["pool of", "delegator", "amount>", "seconds>"],
  inputs.submissions.flatMap((s) =>
    s.delegators.map((d) => [s.id, who(d.account), flock(d.amount), String(d.seconds)]),
  ),
);
console.log("");
table(
  ["validator", "task", "stake>", "assignments>", ...inputs.submissions.map((s) => `${s.id}>`)],
  inputs.validators.map((v) => [
    who(v.account),
    v.task,
    flock(v.stake),
    String(v.completedAssignments),
    ...inputs.submissions.map((s) => {
      const score = v.scores.find((x) => x.submission === s.id);
      return score === undefined ? "—" : formatFlock(score.score);
    }),
  ]),
);

section("Consensus (the best score validators with κ = 0.5 of the stake reach or beat) and ranks");
table(
  ["submission", "task", "consensus>", "rank>"],
  stages.consensus.map((c, i) => [
    c.submission,
    c.task,
    c.consensus === null ? "unscored" : formatFlock(c.consensus),
    String(stages.ranks[i]!.rank ?? "—"),
  ]),
);

const es = stages.emissionSplit;
section("Emission: FL vs Arena by stake  (E_FL = E · S_FL / (S_arena + S_FL))");
console.log(
  `  S_arena ${flock(es.arenaStake)} · S_FL ${flock(es.flStake)} → E_FL ${flock(es.fl)} (treasury line until FL pays), E_arena ${flock(es.arena)}`,
);

section(
  "Splits: E_arena → tasks by weight, R0 = share + pool → trainers / validators  (γ + (1 − 2γ)·T/(T+V))",
);
table(
  ["task", "T>", "V>", "share>", "pool>", "R0>", "trainers>", "validators>"],
  stages.splits.map((s, i) => [
    s.task,
    flock(stages.stakes[i]!.trainerStake),
    flock(stages.stakes[i]!.validatorStake),
    flock(s.emission),
    flock(s.pool),
    flock(s.r0),
    flock(s.trainers),
    flock(s.validators),
  ]),
);

section("Trainer shares ∝ ρ^rank × (own + delegated)^β  (pw), and with own stake only (po)");
const trainerTotal = (task: string) =>
  stages.trainerShares.filter((t) => t.task === task).reduce((sum, t) => sum + t.weight, 0n);
table(
  ["submission", "trainer", "share>", "pw>", "po>"],
  stages.trainerShares.map((t) => [
    t.submission,
    who(t.account),
    percent(t.weight, trainerTotal(t.task)),
    flock(t.pw),
    flock(t.po),
  ]),
);

section("Delegation: trainer keeps po + σ(pw − po), pool gets (1 − σ)(pw − po), split by amount × seconds");
table(
  ["submission", "σ used (bps)>", "trainer keeps>", "pool>"],
  stages.delegation.map((d) => [
    d.submission,
    d.effectiveSigmaBps === null ? "—" : String(d.effectiveSigmaBps),
    flock(d.participant),
    flock(d.pool),
  ]),
);
console.log("");
table(
  ["delegator", "FLOCK × seconds>", "reward>"],
  stages.delegation.flatMap((d) =>
    d.delegators.map((x) => [who(x.account), String((x.amount / WAD) * x.seconds), flock(x.reward)]),
  ),
);

section("Validator shares ∝ stake^β × accuracy × work");
const validatorTotal = (task: string) =>
  stages.validatorShares.filter((v) => v.task === task).reduce((sum, v) => sum + v.weight, 0n);
table(
  ["validator", "task", "accuracy>", "work>", "share>", "reward>"],
  stages.validatorShares.map((v) => [
    who(v.account),
    v.task,
    ratio(v.accuracyWad),
    String(v.work),
    percent(v.weight, validatorTotal(v.task)),
    flock(v.amount),
  ]),
);

section("Slashes (10% to the prover, the rest to the treasury)");
table(
  ["account", "reason", "slashed>", "prover", "to prover>", "to treasury>"],
  result.slashes.map((s) => [
    who(s.account),
    s.reason,
    flock(s.slashed),
    s.prover === null ? "—" : who(s.prover),
    flock(s.toProver),
    flock(s.toTreasury),
  ]),
);

section("Refunds: what each funded pool did not pay goes back to its creator");
table(
  ["task", "creator", "pool>", "refund>"],
  result.refunds.map((r) => [r.task, who(r.creator), flock(r.pool), flock(r.refund)]),
);

section("Rewards (liquid: claimable now; vesting: trainers' 90%, released linearly)");
table(
  ["account", "liquid>", "vesting>", "total>"],
  result.rewards.map((r) => [who(r.account), flock(r.liquid), flock(r.vesting), flock(r.liquid + r.vesting)]),
);
const t = result.treasury;
console.log(
  `\n  treasury line: dust ${flock(t.dust)} + unallocated ${flock(t.unallocated)} + slashes ${flock(t.slashes)} + FL share ${flock(t.fl)} = ${flock(t.total)}`,
);
const paid = result.rewards.reduce((sum, r) => sum + r.liquid + r.vesting, 0n);
const slashed = result.slashes.reduce((sum, s) => sum + s.slashed, 0n);
const pools = inputs.tasks.reduce((sum, task) => sum + task.pool, 0n);
console.log(
  `  conservation: paid ${flock(paid)} = emission ${flock(inputs.emission)} + pools ${flock(pools)} + slashed ${flock(slashed)} → ${
    paid === inputs.emission + pools + slashed ? "exact" : "MISMATCH"
  }`,
);

section("Settlement");
console.log(`  liquid root   ${result.trees.liquid.root}  (${result.trees.liquid.leaves.length} leaves)`);
console.log(`  vesting root  ${result.trees.vesting.root}  (${result.trees.vesting.leaves.length} leaves)`);
console.log(
  `  report hash   ${result.reportHash}  (sha256 of ${result.reportJson.length} bytes of canonical JSON)`,
);
