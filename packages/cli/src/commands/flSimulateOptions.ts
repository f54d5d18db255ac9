import { ValidationError } from "@flock/core";
import {
  ATTACKS,
  type AttackKind,
  CONTRIBUTION_METHODS,
  type ContributionMethod,
  DATASET_NAMES,
  type DatasetName,
  DP_MODES,
  type DpMode,
  type LabelSkew,
  type QuantitySkew,
  resolveOptions,
  type SimulationOptions,
  STRATEGIES,
  type StrategySpec,
} from "@flock/fl";
import { UsageError } from "../usageError.ts";

/** The command-line options of `flock fl simulate`, as commander hands them over (strings and flags). */
export interface FlSimulateFlags {
  dataset: string;
  hidden: string;
  clients: string;
  clientsPerRound?: string;
  rounds: string;
  strategies: string;
  partition: string;
  quantitySkew: string;
  examplesPerClient?: string;
  epochs: string;
  batchSize: string;
  lr: string;
  momentum?: string;
  proximalMu?: string;
  dropout: string;
  deadline?: string;
  msPerExample: string;
  deviceSigma: string;
  jitterSigma: string;
  attackStrength?: string;
  secaggDropout?: string;
  byzantine: string;
  attack: string;
  dp: string;
  noiseMultiplier: string;
  clippingNorm: string;
  delta: string;
  secagg?: boolean;
  seededNoise?: boolean;
  contribution: string;
  contributionTop: string;
  centralized?: boolean | string;
  targetAccuracy: string;
  seed: string;
  workers: string;
  report?: string;
}

/** Defaults shown in `--help` (the simulator's own defaults, so a bare run is a digits run of FedAvg). */
export const FL_SIMULATE_DEFAULTS = {
  dataset: "digits",
  hidden: "32",
  clients: "100",
  rounds: "50",
  strategies: "fedavg",
  partition: "dirichlet:0.5",
  quantitySkew: "equal",
  epochs: "5",
  batchSize: "4",
  lr: "0.1",
  dropout: "0",
  msPerExample: "10",
  deviceSigma: "0.5",
  jitterSigma: "0.2",
  byzantine: "0",
  attack: "sign-flip",
  dp: "off",
  noiseMultiplier: "1",
  clippingNorm: "1",
  delta: "1e-5",
  contribution: "off",
  contributionTop: "3",
  targetAccuracy: "0.95",
  seed: "0",
} as const;

/** Strategy options a `--strategies` entry may set (`krum:numMaliciousNodes=2`), by registry name. */
const SAMPLING = ["fractionTrain", "minTrainNodes", "minAvailableNodes"] as const;
const FED_OPT = [...SAMPLING, "eta", "etaL", "beta1", "beta2", "tau"] as const;
export const STRATEGY_OPTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  fedavg: SAMPLING,
  fedprox: [...SAMPLING, "proximalMu"],
  fedavgm: [...SAMPLING, "serverLearningRate", "serverMomentum"],
  fedadam: FED_OPT,
  fedyogi: FED_OPT,
  fedadagrad: FED_OPT,
  fedmedian: SAMPLING,
  fedtrimmedavg: [...SAMPLING, "beta"],
  krum: [...SAMPLING, "numMaliciousNodes"],
  multikrum: [...SAMPLING, "numMaliciousNodes", "numNodesToSelect"],
  bulyan: [...SAMPLING, "numMaliciousNodes", "selection"],
};

/** Strategies SecAgg+ can wrap: their aggregate is a weighted sum of the updates. */
const LINEAR = new Set(["fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad"]);

/** Strategies that assume f Byzantine updates per round (set from --byzantine unless given). */
const ASSUMES_F = new Set(["krum", "multikrum", "bulyan"]);

const invalid = (message: string, hint: string) => new UsageError(message, hint, "FL_OPTION_INVALID");

/** A whole number ≥ min from option `--name`. */
export function wholeNumber(text: string, name: string, min = 0): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min) {
    throw invalid(
      `--${name} must be a whole number ≥ ${min}, got "${text}"`,
      `pass --${name} as a number such as ${Math.max(min, 10)}`,
    );
  }
  return value;
}

/** A finite number in [min, max] from option `--name`. */
export function realNumber(
  text: string,
  name: string,
  min = -Infinity,
  max = Infinity,
  example = "0.5",
): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw invalid(
      `--${name} must be a number ${range}, got "${text}"`,
      `pass --${name} as a number such as ${example}`,
    );
  }
  return value;
}

/** `--hidden 64,32` → [64, 32]; "none" or "" → [] (softmax regression). */
export function parseHidden(text: string): number[] {
  const t = text.trim();
  if (t === "" || t === "none" || t === "0") return [];
  return t.split(",").map((s) => wholeNumber(s.trim(), "hidden", 1));
}

/** `--partition dirichlet:0.5 | shards:2 | iid`. */
export function parsePartition(text: string): LabelSkew {
  const [kind, arg, extra] = text.trim().split(":");
  const hint =
    "use dirichlet:α (α > 0, e.g. dirichlet:0.5), shards:n (shards per client, e.g. shards:2) or iid";
  if (extra === undefined) {
    if (kind === "iid" && arg === undefined) return { kind: "iid" };
    if (kind === "dirichlet" && arg !== undefined) {
      const alpha = Number(arg);
      if (Number.isFinite(alpha) && alpha > 0) return { kind: "dirichlet", alpha };
    }
    if (kind === "shards" && arg !== undefined && /^\d+$/.test(arg) && Number(arg) >= 1) {
      return { kind: "shards", shardsPerClient: Number(arg) };
    }
  }
  throw invalid(`--partition "${text}" is not a partition`, hint);
}

/** `--quantity-skew equal | lognormal:σ | powerlaw:exponent`. */
export function parseQuantitySkew(text: string): QuantitySkew {
  const [kind, arg, extra] = text.trim().split(":");
  const value = Number(arg);
  if (extra === undefined) {
    if (kind === "equal" && arg === undefined) return { kind: "equal" };
    if (kind === "lognormal" && arg !== undefined && Number.isFinite(value) && value >= 0) {
      return { kind: "lognormal", sigma: value };
    }
    if (kind === "powerlaw" && arg !== undefined && Number.isFinite(value) && value > 0) {
      return { kind: "powerlaw", exponent: value };
    }
  }
  throw invalid(
    `--quantity-skew "${text}" is not a quantity skew`,
    "use equal, lognormal:σ (e.g. lognormal:1) or powerlaw:exponent (e.g. powerlaw:1.5)",
  );
}

/** One `--strategies` entry: `name` or `name:key=value:key=value` (values are numbers, true/false or words). */
export interface ParsedStrategy {
  readonly name: string;
  readonly label: string;
  readonly options: Record<string, number | string | boolean>;
}

/** `--strategies fedavg,krum:numMaliciousNodes=2`, each name and option key checked against the registry. */
export function parseStrategies(text: string): ParsedStrategy[] {
  const entries = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (entries.length === 0) {
    throw new UsageError(
      "--strategies names no strategy",
      `name one or more of ${Object.keys(STRATEGIES).join(", ")}`,
      "FL_STRATEGY_UNKNOWN",
    );
  }
  const seen = new Set<string>();
  return entries.map((entry) => {
    const [rawName, ...pairs] = entry.split(":");
    const name = rawName!.toLowerCase();
    if (!STRATEGIES[name]) {
      throw new UsageError(
        `--strategies: no strategy named "${rawName}"`,
        `choose from ${Object.keys(STRATEGIES).join(", ")}`,
        "FL_STRATEGY_UNKNOWN",
      );
    }
    const options: Record<string, number | string | boolean> = {};
    const allowed = STRATEGY_OPTION_KEYS[name] ?? [];
    for (const pair of pairs) {
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.slice(0, eq);
      if (eq < 0 || !allowed.includes(key)) {
        throw invalid(
          `--strategies: "${pair}" is not an option of ${name}`,
          allowed.length
            ? `write ${name}:key=value with key one of ${allowed.join(", ")}`
            : `${name} takes no options`,
        );
      }
      options[key] = parseValue(pair.slice(eq + 1));
    }
    if (seen.has(entry)) {
      throw invalid(
        `--strategies lists ${entry} twice`,
        "list each strategy once, or give the copies different options",
      );
    }
    seen.add(entry);
    return { name, label: entry, options };
  });
}

function parseValue(text: string): number | string | boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  const n = Number(text);
  return text.trim() !== "" && Number.isFinite(n) ? n : text;
}

function oneOf<T extends string>(
  text: string,
  choices: readonly T[],
  name: string,
  code = "FL_OPTION_INVALID",
): T {
  if (!(choices as readonly string[]).includes(text)) {
    throw new UsageError(
      `--${name} "${text}" is not one of ${choices.join(", ")}`,
      `pass --${name} ${choices[0]}`,
      code,
    );
  }
  return text as T;
}

/** What the command runs: the simulator's options, plus where the report goes. */
export interface FlSimulatePlan {
  readonly options: SimulationOptions;
  readonly reportPath?: string;
}

/** Checks every flag and turns them into simulator options (a usage error names the first bad flag). */
export function planSimulation(flags: FlSimulateFlags): FlSimulatePlan {
  const dataset = oneOf<DatasetName>(flags.dataset, DATASET_NAMES, "dataset", "FL_DATASET_UNKNOWN");
  const clients = wholeNumber(flags.clients, "clients", 1);
  const clientsPerRound =
    flags.clientsPerRound === undefined
      ? Math.min(10, clients)
      : wholeNumber(flags.clientsPerRound, "clients-per-round", 1);
  if (clientsPerRound > clients) {
    throw invalid(
      `--clients-per-round ${clientsPerRound} is more than the ${clients} clients`,
      "sample at most --clients per round",
    );
  }
  const byzantineFraction = realNumber(flags.byzantine, "byzantine", 0, 1, "0.2");
  const attack = oneOf<AttackKind>(flags.attack, ATTACKS, "attack");
  const dp = oneOf<DpMode | "off">(flags.dp, ["off", ...DP_MODES], "dp");
  const noiseMultiplier = realNumber(flags.noiseMultiplier, "noise-multiplier", 0, Infinity, "1");
  const clippingNorm = realNumber(flags.clippingNorm, "clipping-norm", Number.MIN_VALUE, Infinity, "1");
  const delta = realNumber(flags.delta, "delta", Number.MIN_VALUE, 0.999999, "1e-5");
  if (
    dp === "off" &&
    (flags.noiseMultiplier !== FL_SIMULATE_DEFAULTS.noiseMultiplier ||
      flags.clippingNorm !== FL_SIMULATE_DEFAULTS.clippingNorm)
  ) {
    throw invalid(
      "--noise-multiplier and --clipping-norm shape differential privacy, which is off",
      `add --dp with one of ${DP_MODES.join(", ")}`,
    );
  }
  const contribution = oneOf<ContributionMethod | "off">(
    flags.contribution,
    ["off", ...CONTRIBUTION_METHODS],
    "contribution",
  );
  const byzantineCount = Math.round(byzantineFraction * clients);
  const assumedF = Math.round(byzantineFraction * clientsPerRound);
  const parsed = parseStrategies(flags.strategies);
  const specs: StrategySpec[] = parsed.map((p) => {
    const options = { ...p.options };
    if (ASSUMES_F.has(p.name) && byzantineCount > 0 && options.numMaliciousNodes === undefined) {
      options.numMaliciousNodes = assumedF;
    }
    return { name: p.name, label: p.label, options };
  });
  if (flags.secagg === true) {
    for (const p of parsed) {
      if (!LINEAR.has(p.name)) {
        throw new UsageError(
          `--secagg reveals only the weighted sum of the updates, and ${p.name} needs each update`,
          `use --secagg with ${[...LINEAR].join(", ")}`,
          "FL_SECAGG_NOT_LINEAR",
        );
      }
    }
  }
  if (dp === "server-adaptive" || dp === "client-adaptive") {
    // Adaptive clipping spends part of the noise on the clipped count, σ_b = m/20 (Andrew et al. 2021);
    // the split z_Δ = (z⁻² − (2σ_b)⁻²)^−½ exists only when 2σ_b > z.
    if (!(clientsPerRound / 10 > noiseMultiplier)) {
      throw invalid(
        `--dp ${dp} with ${clientsPerRound} clients per round needs --noise-multiplier below ${clientsPerRound / 10} (the clipped-count noise is m/20)`,
        "lower --noise-multiplier or sample more --clients-per-round",
      );
    }
  }
  const examplesPerClient =
    flags.examplesPerClient === undefined
      ? undefined
      : wholeNumber(flags.examplesPerClient, "examples-per-client", 1);
  const deadlineMs =
    flags.deadline === undefined
      ? undefined
      : realNumber(flags.deadline, "deadline", Number.MIN_VALUE, Infinity, "2000");
  const options: SimulationOptions = {
    dataset,
    hidden: parseHidden(flags.hidden),
    clients,
    clientsPerRound,
    rounds: wholeNumber(flags.rounds, "rounds", 1),
    strategies: specs,
    partition: {
      labels: parsePartition(flags.partition),
      quantity: parseQuantitySkew(flags.quantitySkew),
      ...(examplesPerClient === undefined ? {} : { examplesPerClient }),
    },
    training: {
      epochs: wholeNumber(flags.epochs, "epochs", 1),
      batchSize: wholeNumber(flags.batchSize, "batch-size", 1),
      lr: realNumber(flags.lr, "lr", Number.MIN_VALUE, Infinity, "0.1"),
      ...(flags.momentum === undefined
        ? {}
        : { momentum: realNumber(flags.momentum, "momentum", 0, 1, "0.9") }),
      ...(flags.proximalMu === undefined
        ? {}
        : { proximalMu: realNumber(flags.proximalMu, "proximal-mu", 0, Infinity, "0.01") }),
    },
    dropout: realNumber(flags.dropout, "dropout", 0, 1, "0.1"),
    ...(deadlineMs === undefined
      ? {}
      : {
          stragglers: {
            deadlineMs,
            msPerExample: realNumber(flags.msPerExample, "ms-per-example", Number.MIN_VALUE, Infinity, "10"),
            deviceSigma: realNumber(flags.deviceSigma, "device-sigma", 0, Infinity, "0.5"),
            jitterSigma: realNumber(flags.jitterSigma, "jitter-sigma", 0, Infinity, "0.2"),
          },
        }),
    ...(byzantineFraction > 0
      ? {
          byzantine: { fraction: byzantineFraction, attack, ...attackStrength(attack, flags.attackStrength) },
        }
      : {}),
    ...(dp === "off"
      ? {}
      : { dp: { mode: dp, noiseMultiplier, clippingNorm, delta, seededNoise: flags.seededNoise === true } }),
    ...(flags.secagg === true
      ? {
          secureAggregation:
            flags.secaggDropout === undefined
              ? true
              : { dropoutFraction: realNumber(flags.secaggDropout, "secagg-dropout", 0, 0.499, "0.1") },
        }
      : {}),
    ...(contribution === "off"
      ? {}
      : {
          contribution: {
            method: contribution,
            top: wholeNumber(flags.contributionTop, "contribution-top", 1),
          },
        }),
    ...(flags.centralized === undefined || flags.centralized === false
      ? {}
      : {
          centralized:
            flags.centralized === true ? true : { epochs: wholeNumber(flags.centralized, "centralized", 1) },
        }),
    targetAccuracy: realNumber(flags.targetAccuracy, "target-accuracy", 0, 1, "0.95"),
    seed: wholeNumber(flags.seed, "seed"),
    workers: wholeNumber(flags.workers, "workers"),
  };
  try {
    // The simulator's own checks (combinations of options), as usage errors before any thread starts.
    resolveOptions(options);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new UsageError(error.message, error.hint ?? "see `flock fl simulate --help`", error.code);
  }
  return { options, ...(flags.report === undefined ? {} : { reportPath: flags.report }) };
}

/** `--attack-strength`: the attack's own parameter (sign-flip and scaling: the factor; gaussian: σ; alie: z). */
function attackStrength(
  attack: AttackKind,
  text: string | undefined,
): { scale?: number; sigma?: number; z?: number } {
  if (text === undefined) return {};
  switch (attack) {
    case "sign-flip":
    case "scaling":
      return { scale: realNumber(text, "attack-strength", 0, Infinity, "4") };
    case "gaussian":
      return { sigma: realNumber(text, "attack-strength", 0, Infinity, "1") };
    case "alie":
      return { z: realNumber(text, "attack-strength", 0, Infinity, "1") };
    case "label-flip":
      throw invalid(
        "--attack-strength has no meaning for label-flip",
        "leave out --attack-strength with --attack label-flip",
      );
    default:
      return attack satisfies never;
  }
}
