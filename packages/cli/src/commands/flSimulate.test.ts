import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SimulationResult, StrategySpec } from "@flock/fl";
import { afterAll, describe, expect, it } from "vitest";
import { bufferIo } from "../io.ts";
import { main } from "../main.ts";
import {
  FL_SIMULATE_DEFAULTS,
  parseHidden,
  parsePartition,
  parseQuantitySkew,
  parseStrategies,
  planSimulation,
} from "./flSimulateOptions.ts";

const roots: string[] = [];
function tempRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "flock-fl-"));
  roots.push(root);
  return root;
}
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const never = new AbortController().signal;

async function flock(...args: string[]) {
  const io = bufferIo();
  const code = await main(["--home", tempRoot(), ...args], io, { signal: never });
  return { code, out: io.out(), err: io.err() };
}

/** A quick federation: softmax-free small MLP, few clients and rounds, trained in this thread. */
const SMALL = [
  "--clients",
  "12",
  "--clients-per-round",
  "4",
  "--rounds",
  "2",
  "--hidden",
  "8",
  "--epochs",
  "1",
  "--workers",
  "0",
];

describe("flock fl simulate --help", () => {
  it("shows an option for every simulator setting, with its default", async () => {
    const { code, out } = await flock("fl", "simulate", "--help");
    expect(code).toBe(0);
    const expected: [string, string | null][] = [
      ["--dataset <name>", '"digits"'],
      ["--hidden <sizes>", '"32"'],
      ["--clients <n>", '"100"'],
      ["--clients-per-round <n>", "10"],
      ["--rounds <n>", '"50"'],
      ["--strategies <list>", '"fedavg"'],
      ["--partition <kind>", '"dirichlet:0.5"'],
      ["--quantity-skew <kind>", '"equal"'],
      ["--examples-per-client <n>", null],
      ["--epochs <n>", '"5"'],
      ["--batch-size <n>", '"4"'],
      ["--lr <rate>", '"0.1"'],
      ["--momentum <m>", "0"],
      ["--proximal-mu <μ>", "0"],
      ["--dropout <p>", '"0"'],
      ["--deadline <ms>", "no deadline"],
      ["--ms-per-example <ms>", '"10"'],
      ["--device-sigma <σ>", '"0.5"'],
      ["--jitter-sigma <σ>", '"0.2"'],
      ["--attack-strength <x>", "default 4 / 10"],
      ["--secagg-dropout <fraction>", "⅓"],
      ["--byzantine <fraction>", '"0"'],
      ["--attack <kind>", '"sign-flip"'],
      ["--dp <mode>", '"off"'],
      ["--noise-multiplier <z>", '"1"'],
      ["--clipping-norm <C>", '"1"'],
      ["--delta <δ>", '"1e-5"'],
      ["--seeded-noise", "off"],
      ["--secagg", "off"],
      ["--contribution <method>", '"off"'],
      ["--contribution-top <n>", '"3"'],
      ["--centralized [epochs]", "default 20"],
      ["--target-accuracy <a>", '"0.95"'],
      ["--seed <n>", '"0"'],
      ["--workers <n>", "default"],
      ["--report <file>", null],
    ];
    // Each option's help: from its line to the next line that starts an option.
    const blocks = out
      .split(/\n(?= {2}(?:-\w, )?--)/)
      .map((b) => b.replace(/\s+/g, " ").trim())
      .filter((b) => b.startsWith("--"));
    for (const [flag, fallback] of expected) {
      const text = blocks.find((b) => b.startsWith(`${flag} `));
      expect(text, flag).toBeDefined();
      if (fallback === null) continue;
      expect(text, flag).toContain("default");
      expect(text, flag).toContain(fallback);
    }
    const flat = out.replace(/\s+/g, " ");
    for (const name of [
      "fedavg",
      "fedprox",
      "krum",
      "multikrum",
      "bulyan",
      "fedtrimmedavg",
      "fedmedian",
      "fedadam",
    ]) {
      expect(flat).toContain(name);
    }
    for (const attack of ["sign-flip", "scaling", "gaussian", "label-flip", "alie"])
      expect(flat).toContain(attack);
  });
});

describe("flock fl simulate", () => {
  it("prints a per-round table and final figures, writes the report, and --json gives the same result", async () => {
    const report = join(tempRoot(), "out.html");
    const args = [
      ...SMALL,
      "--strategies",
      "fedavg,fedmedian",
      "--byzantine",
      "0.25",
      "--attack",
      "alie",
      "--contribution",
      "leave-one-out",
      "--seed",
      "4",
    ];
    const human = await flock("fl", "simulate", ...args, "--report", report);
    expect(human.code).toBe(0);
    const lines = human.out.split("\n");
    const header = lines.find((l) => l.startsWith("round"))!;
    for (const column of [
      "strategy",
      "loss",
      "accuracy",
      "ε",
      "dropouts",
      "top contributor",
      "bottom contributor",
    ]) {
      expect(header).toContain(column);
    }
    // Two rounds of two strategies.
    expect(lines.filter((l) => /^[12]\s+fed(avg|median)\s/.test(l))).toHaveLength(4);
    expect(human.out).toContain("final accuracy");
    expect(human.out).toContain(`report: ${report}`);
    // One progress line per finished round on a non-terminal stderr.
    expect(human.err.match(/round \d: accuracy/g)).toHaveLength(4);

    const html = readFileSync(report, "utf8");
    expect(html.match(/<svg\b/g)!.length).toBeGreaterThanOrEqual(4);
    expect(html).toContain("fedmedian");
    expect(html).not.toMatch(/<script|https?:/i);

    const json = await flock("fl", "simulate", ...args, "--json");
    expect(json.code).toBe(0);
    const result = JSON.parse(json.out) as SimulationResult;
    expect(result.strategies.map((s) => s.strategy)).toEqual(["fedavg", "fedmedian"]);
    expect(result.population).toMatchObject({ clients: 12, byzantine: 3 });
    expect(result.options.byzantine).toEqual({ fraction: 0.25, attack: "alie" });
    for (const run of result.strategies) {
      expect(run.rounds).toHaveLength(2);
      expect(run.contribution!.top.length).toBeGreaterThan(0);
      // The table printed the same figures (same seed, same options).
      for (const r of run.rounds) {
        expect(human.out).toMatch(
          new RegExp(
            `${r.round}\\s+${run.strategy}\\s+${r.loss.toFixed(4)}\\s+${(100 * r.accuracy).toFixed(1)}%`,
          ),
        );
      }
    }
  }, 60_000);

  it.each([
    ["server-fixed", []],
    ["server-adaptive", ["--noise-multiplier", "0.3"]],
    ["client-fixed", ["--secagg"]],
  ])(
    "reports ε per round under --dp %s %j, growing each round",
    async (mode, extra) => {
      const args = [...SMALL, "--rounds", "3", "--dp", mode, ...extra, "--seeded-noise", "--json"];
      const { code, out } = await flock("fl", "simulate", ...args);
      expect(code).toBe(0);
      const run = (JSON.parse(out) as SimulationResult).strategies[0]!;
      const eps = run.rounds.map((r) => r.epsilon!);
      expect(eps.every((e) => Number.isFinite(e) && e > 0)).toBe(true);
      expect(eps[1]!).toBeGreaterThan(eps[0]!);
      expect(eps[2]!).toBeGreaterThan(eps[1]!);
      // Seeded noise: the same run twice gives the same figures.
      const again = JSON.parse((await flock("fl", "simulate", ...args)).out) as SimulationResult;
      expect(again.strategies[0]!.rounds.map((r) => r.accuracy)).toEqual(run.rounds.map((r) => r.accuracy));
    },
    60_000,
  );

  it("runs SecAgg+ around FedAvg with dropouts and still learns", async () => {
    const { code, out } = await flock(
      "fl",
      "simulate",
      ...SMALL,
      "--rounds",
      "3",
      "--secagg",
      "--dropout",
      "0.1",
      "--json",
    );
    expect(code).toBe(0);
    const result = JSON.parse(out) as SimulationResult;
    expect(result.options.secureAggregation).toBeDefined();
    const run = result.strategies[0]!;
    expect(run.rounds).toHaveLength(3);
    expect(run.best.accuracy).toBeGreaterThan(run.initial.accuracy);
  }, 60_000);

  it("shows a round SecAgg+ could not finish, and goes on from the previous model", async () => {
    const args = [
      "--clients",
      "12",
      "--clients-per-round",
      "6",
      "--rounds",
      "3",
      "--hidden",
      "8",
      "--epochs",
      "1",
    ];
    const { code, out, err } = await flock(
      "fl",
      "simulate",
      ...args,
      "--workers",
      "0",
      "--secagg",
      "--dropout",
      "0.5",
      "--seed",
      "1",
    );
    expect(code).toBe(0);
    expect(out.split("\n").find((l) => l.startsWith("round"))).toMatch(/failed$/);
    expect(out).toMatch(/^\d\s+fedavg\s.*FL_SECAGG_TOO_MANY_DROPOUTS$/m);
    expect(err).toContain("previous model kept");
  }, 60_000);

  it("maps the flags onto the simulator's options", () => {
    const { options } = planSimulation({
      ...FL_SIMULATE_DEFAULTS,
      workers: "0",
      hidden: "16,8",
      partition: "shards:3",
      quantitySkew: "lognormal:1",
      examplesPerClient: "20",
      momentum: "0.9",
      proximalMu: "0.01",
      deadline: "500",
      deviceSigma: "0.3",
      byzantine: "0.1",
      attack: "scaling",
      attackStrength: "5",
      dp: "client-fixed",
      noiseMultiplier: "0.7",
      clippingNorm: "2",
      secagg: true,
      secaggDropout: "0.2",
      centralized: "7",
    });
    expect(options).toMatchObject({
      hidden: [16, 8],
      clientsPerRound: 10,
      partition: {
        labels: { kind: "shards", shardsPerClient: 3 },
        quantity: { kind: "lognormal", sigma: 1 },
        examplesPerClient: 20,
      },
      training: { epochs: 5, batchSize: 4, lr: 0.1, momentum: 0.9, proximalMu: 0.01 },
      stragglers: { deadlineMs: 500, msPerExample: 10, deviceSigma: 0.3, jitterSigma: 0.2 },
      byzantine: { fraction: 0.1, attack: "scaling", scale: 5 },
      dp: { mode: "client-fixed", noiseMultiplier: 0.7, clippingNorm: 2, delta: 1e-5, seededNoise: false },
      secureAggregation: { dropoutFraction: 0.2 },
      centralized: { epochs: 7 },
      workers: 0,
    });
    expect(
      planSimulation({ ...FL_SIMULATE_DEFAULTS, workers: "0", centralized: true }).options.centralized,
    ).toBe(true);
  });

  it("assumes f = the expected attackers per round for Krum, Multi-Krum and Bulyan unless told", () => {
    const plan = planSimulation({
      ...FL_SIMULATE_DEFAULTS,
      workers: "0",
      clientsPerRound: "10",
      byzantine: "0.2",
      strategies: "krum,multikrum:numMaliciousNodes=0,bulyan,fedavg",
    });
    const specs = plan.options.strategies as StrategySpec[];
    expect(specs.map((s) => s.options)).toEqual([
      { numMaliciousNodes: 2 },
      { numMaliciousNodes: 0 },
      { numMaliciousNodes: 2 },
      {},
    ]);
    const honest = planSimulation({ ...FL_SIMULATE_DEFAULTS, workers: "0", strategies: "krum" });
    expect((honest.options.strategies as StrategySpec[])[0]!.options).toEqual({});
  });
});

describe("flock fl simulate rejects bad input with a code, a message and a hint (exit 2)", () => {
  const cases: [string[], string, RegExp][] = [
    [["--strategies", "fedavg,fedfoo"], "FL_STRATEGY_UNKNOWN", /no strategy named "fedfoo"/],
    [["--strategies", "krum:beta=0.1"], "FL_OPTION_INVALID", /"beta=0.1" is not an option of krum/],
    [["--strategies", "fedavg,fedavg"], "FL_OPTION_INVALID", /lists fedavg twice/],
    [["--partition", "dirichlet:0"], "FL_OPTION_INVALID", /not a partition/],
    [["--partition", "shards"], "FL_OPTION_INVALID", /not a partition/],
    [["--quantity-skew", "zipf:2"], "FL_OPTION_INVALID", /not a quantity skew/],
    [["--dataset", "mnist"], "FL_DATASET_UNKNOWN", /"mnist" is not one of digits, breast-cancer/],
    [["--clients", "5", "--clients-per-round", "6"], "FL_OPTION_INVALID", /more than the 5 clients/],
    [["--rounds", "0"], "FL_OPTION_INVALID", /--rounds must be a whole number ≥ 1/],
    [["--lr", "fast"], "FL_OPTION_INVALID", /--lr must be a number/],
    [["--dropout", "1.5"], "FL_OPTION_INVALID", /--dropout must be a number in \[0, 1\]/],
    [["--attack", "bribe", "--byzantine", "0.1"], "FL_OPTION_INVALID", /"bribe" is not one of sign-flip/],
    [
      ["--dp", "local"],
      "FL_OPTION_INVALID",
      /"local" is not one of off, server-fixed, server-adaptive, client-fixed, client-adaptive/,
    ],
    [
      ["--dp", "server-adaptive", "--noise-multiplier", "1"],
      "FL_OPTION_INVALID",
      /needs --noise-multiplier below 1/,
    ],
    [["--secagg", "--strategies", "fedavg,fedmedian"], "FL_SECAGG_NOT_LINEAR", /fedmedian needs each update/],
    [
      ["--secagg", "--contribution", "leave-one-out"],
      "FL_OPTION_INVALID",
      /contribution value needs each update/,
    ],
    [["--clipping-norm", "3"], "FL_OPTION_INVALID", /differential privacy, which is off/],
    [
      ["--byzantine", "0.1", "--attack", "label-flip", "--attack-strength", "2"],
      "FL_OPTION_INVALID",
      /no meaning for label-flip/,
    ],
    [
      ["--secagg", "--secagg-dropout", "0.6"],
      "FL_OPTION_INVALID",
      /--secagg-dropout must be a number in \[0, 0.499\]/,
    ],
    [["--centralized", "many"], "FL_OPTION_INVALID", /--centralized must be a whole number/],
    [["--contribution", "banzhaf"], "FL_OPTION_INVALID", /is not one of off, gtg-shapley/],
  ];
  it.each(cases)("%j → %s", async (args, code, message) => {
    const result = await flock("fl", "simulate", ...args);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`error ${code}:`);
    expect(result.err).toMatch(message);
    expect(result.err).toMatch(/\n {2}hint: \S/);
    expect(result.out).toBe("");
  });

  it("an unknown flag is a usage error pointing at the command's help", async () => {
    const result = await flock("fl", "simulate", "--rouns", "3");
    expect(result.code).toBe(2);
    expect(result.err).toContain("error USAGE_ERROR:");
  });
});

describe("flag parsing", () => {
  it("reads hidden sizes, partitions, quantity skews and strategy options", () => {
    expect(parseHidden("64,32")).toEqual([64, 32]);
    expect(parseHidden("none")).toEqual([]);
    expect(parsePartition("dirichlet:0.1")).toEqual({ kind: "dirichlet", alpha: 0.1 });
    expect(parsePartition("shards:2")).toEqual({ kind: "shards", shardsPerClient: 2 });
    expect(parsePartition("iid")).toEqual({ kind: "iid" });
    expect(parseQuantitySkew("lognormal:1")).toEqual({ kind: "lognormal", sigma: 1 });
    expect(parseQuantitySkew("powerlaw:1.5")).toEqual({ kind: "powerlaw", exponent: 1.5 });
    expect(parseStrategies("FedAvg, bulyan:numMaliciousNodes=1:selection=recursive-krum")).toEqual([
      { name: "fedavg", label: "FedAvg", options: {} },
      {
        name: "bulyan",
        label: "bulyan:numMaliciousNodes=1:selection=recursive-krum",
        options: { numMaliciousNodes: 1, selection: "recursive-krum" },
      },
    ]);
  });

  it("leaves no file behind when a run is refused", async () => {
    const report = join(tempRoot(), "never.html");
    expect((await flock("fl", "simulate", "--rounds", "x", "--report", report)).code).toBe(2);
    expect(existsSync(report)).toBe(false);
  });
});
